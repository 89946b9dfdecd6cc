import TestSupport
import Testing

@testable import Capture

@Suite("mutated captures")
struct MutationFuzzTests {
    /// Valid captures exercising every part of the reader: the mutations start from these.
    static let seeds: [(String, [UInt8])] = {
        let message = Packet.sipMessage("fuzz@1", body: "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\n")
        let udp = Packet.udp(payload: message + message + message)
        let fragments = [(0, 64), (64, udp.count - 64)].map { offset, length in
            Packet.ipv4(moreFragments: offset == 0, fragmentOffset: offset, payload: Array(udp[offset..<(offset + length)]))
        }
        let v6Fragmentable = Packet.extensionHeader(nextHeader: 17) + udp
        let v6Fragments = [(0, 96), (96, v6Fragmentable.count - 96)].map { offset, length in
            Packet.ipv6(
                nextHeader: 44,
                payload: Packet.fragmentHeader(nextHeader: 60, offset: offset, moreFragments: offset == 0, identification: 5)
                    + Array(v6Fragmentable[offset..<(offset + length)])
            )
        }
        let tcp: [[UInt8]] = [
            Packet.ipv4(protocolNumber: 6, payload: Packet.tcp(sequence: 99, flags: .syn)),
            Packet.ipv4(protocolNumber: 6, payload: Packet.tcp(sequence: 130, payload: Array(message[30...]))),
            Packet.ipv4(protocolNumber: 6, payload: Packet.tcp(sequence: 100, payload: Array(message[0..<30]))),
            Packet.ipv4(protocolNumber: 6, payload: Packet.tcp(sequence: 100, payload: message)),
            Packet.ipv4(protocolNumber: 6, payload: Packet.tcp(sequence: 100 + UInt32(message.count), flags: [.fin, .ack])),
        ]

        var pcap = PcapWriter(linkType: 1)
        for packet in [Packet.ipv4(payload: udp)] + fragments + tcp {
            pcap.add(Packet.ethernet(tags: [0x8100], payload: packet))
        }
        for packet in v6Fragments { pcap.add(Packet.ethernet(etherType: 0x86DD, payload: packet)) }

        var pcapBig = PcapWriter(linkType: 113, bigEndian: true, nanoseconds: true)
        for packet in tcp + fragments { pcapBig.add(Packet.sll(payload: packet)) }

        var pcapng = PcapngWriter()
        pcapng.interface(linkType: 1, timestampResolution: 9)
        pcapng.interface(linkType: 0, timestampResolution: 0x80 | 20, timestampOffset: -5)
        for (index, packet) in (fragments + tcp).enumerated() {
            if index % 2 == 0 {
                // Interface 0 counts nanoseconds, interface 1 2^-20 s (with a -5 s offset).
                pcapng.enhancedPacket(
                    interface: 0,
                    units: 1_700_000_000_000_000_000 + UInt64(index) * 1_000_000,
                    frame: Packet.ethernet(payload: packet)
                )
            } else {
                // The retransmission (index 5) is marked as cut by the snapshot length.
                pcapng.enhancedPacket(
                    interface: 1,
                    units: (1_700_000_005 << 20) + UInt64(index) << 10,
                    frame: Packet.null(family: 2, payload: packet),
                    originalLength: index == 5 ? 9000 : nil
                )
            }
        }
        pcapng.block(type: 5, body: [UInt8](repeating: 0, count: 16))
        pcapng.section(bigEndian: true)
        pcapng.interface(linkType: 276, snapLength: 200)
        pcapng.interface(linkType: 229)
        pcapng.simplePacket(frame: Packet.sll2(payload: Packet.ipv4(payload: udp)))
        for packet in v6Fragments { pcapng.enhancedPacket(interface: 1, frame: packet) }
        pcapng.obsoletePacket(interface: 0, frame: Packet.sll2(protocolType: 0x86DD, payload: v6Fragments[0]))

        return [("pcap", pcap.bytes), ("pcap big-endian ns", pcapBig.bytes), ("pcapng", pcapng.bytes)]
    }()

    /// What each seed yields: (events, skipped packets, incomplete datagrams).
    static let seedExpectations = [(5, 0, 0), (3, 0, 0), (4, 2, 1)]

    /// Reads `bytes` to the end or to an error. Returns how many events came out, or nil if
    /// the reader produced more events than its input could justify (a loop).
    static func drain(_ bytes: [UInt8]) -> Int? {
        // Every event needs at least one byte of the file behind it, plus streamEnded events
        // (at most two per packet).
        let bound = 3 * bytes.count + 16
        var events = 0
        do {
            var reader = try CaptureReader(bytes: bytes, name: "fuzz")
            while let event = try reader.next() {
                events += 1
                if case .datagram(_, _, _, let payload) = event, payload.count > bytes.count { return nil }
                if events > bound { return nil }
            }
            let statistics = reader.statistics
            if statistics.skippedPackets > statistics.packets + statistics.reassembledDatagrams { return nil }
        } catch {
            // A typed CaptureError is an acceptable answer to broken input; its text must be sound.
            if error.description.isEmpty || !error.description.hasPrefix("fuzz") { return nil }
        }
        return events
    }

    static func mutate(_ original: [UInt8], using random: inout SplitMix64) -> [UInt8] {
        var bytes = original
        let mutations = Int.random(in: 1...4, using: &random)
        for _ in 0..<mutations where !bytes.isEmpty {
            let position = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<7, using: &random) {
            case 0:  // flip bits
                bytes[position] ^= UInt8.random(in: 1...255, using: &random)
            case 1:  // an interesting 32-bit value, where lengths and counts live
                let values: [UInt32] = [0, 1, 0xFFFF_FFFF, 0x7FFF_FFFF, 0x8000_0000, 12, 0xFFFF, 0x1_0000, 65_528]
                let value = values[Int.random(in: 0..<values.count, using: &random)]
                for index in 0..<4 where position + index < bytes.count {
                    bytes[position + index] = UInt8(truncatingIfNeeded: value >> (8 * index))
                }
            case 2:  // truncate
                bytes.removeLast(bytes.count - position)
            case 3:  // delete a range
                let end = min(bytes.count, position + Int.random(in: 1...64, using: &random))
                bytes.removeSubrange(position..<end)
            case 4:  // duplicate a range
                let end = min(bytes.count, position + Int.random(in: 1...256, using: &random))
                bytes.insert(contentsOf: bytes[position..<end], at: position)
            case 5:  // insert random bytes
                let count = Int.random(in: 1...16, using: &random)
                bytes.insert(contentsOf: (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }, at: position)
            default:  // small arithmetic on a byte (lengths off by a little)
                bytes[position] = bytes[position] &+ UInt8.random(in: 1...8, using: &random)
            }
        }
        return bytes
    }

    @Test("the seeds themselves read cleanly")
    func seedsAreValid() throws {
        for ((name, bytes), (events, skipped, incomplete)) in zip(Self.seeds, Self.seedExpectations) {
            let contents = try readCapture(bytes, name: name)
            #expect(contents.error == nil, "\(name)")
            #expect(contents.events.count == events, "\(name)")
            #expect(contents.statistics.skippedPackets == skipped, "\(name)")
            #expect(contents.statistics.incompleteDatagrams == incomplete, "\(name)")
        }
    }

    @Test("random mutations of valid captures give events or a CaptureError, never a trap or a loop", arguments: [0, 1, 2])
    func mutations(seedIndex: Int) {
        let (name, original) = Self.seeds[seedIndex]
        var random = SplitMix64(seed: 0x5EED_0000 + UInt64(seedIndex))
        for iteration in 0..<3000 {
            let mutated = Self.mutate(original, using: &random)
            let events = Self.drain(mutated)
            #expect(events != nil, "\(name) mutation \(iteration) (seed \(seedIndex)) misbehaved")
            if events == nil { return }
        }
    }

    @Test("random bytes behind valid file headers give events or a CaptureError", arguments: [0, 1, 2, 3])
    func randomBodies(variant: Int) {
        var random = SplitMix64(seed: 0xB0D1_E500 + UInt64(variant))
        let headers: [[UInt8]] = [
            PcapWriter(linkType: 1).bytes,
            PcapWriter(linkType: 101, bigEndian: true).bytes,
            PcapngWriter().bytes,
            { var writer = PcapngWriter(bigEndian: true); writer.interface(linkType: 0); return writer.bytes }(),
        ]
        for _ in 0..<400 {
            let count = Int.random(in: 0...512, using: &random)
            let body = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            #expect(Self.drain(headers[variant] + body) != nil)
        }
    }

    @Test("random frames of every link type decode or are skipped, never trap")
    func randomFrames() throws {
        var random = SplitMix64(seed: 0xF4A3E)
        let linkTypes: [UInt32] = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276]
        for linkType in linkTypes {
            var writer = PcapWriter(linkType: linkType)
            for _ in 0..<300 {
                // Frames that start plausibly (right EtherType or IP version) and continue randomly.
                let prefix: [UInt8] =
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0: Packet.ethernet(payload: [0x45])
                    case 1: [0x46]
                    default: [0x60]
                    }
                let count = Int.random(in: 0...120, using: &random)
                writer.add(prefix + (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) })
            }
            let contents = try readCapture(writer.bytes)
            #expect(contents.error == nil)
            #expect(contents.statistics.packets == 300)
        }
    }
}
