import Testing

@testable import Capture

@Suite("pcapng files")
struct PcapngFormatTests {
    let first = Packet.sipMessage("one@1")
    let second = Packet.sipMessage("two@2")

    @Test("reads packets of two interfaces with different link types in one section")
    func twoInterfacesTwoLinkTypes() throws {
        var writer = PcapngWriter()
        writer.interface(linkType: 1)  // Ethernet
        writer.interface(linkType: 276)  // Linux SLL2
        writer.enhancedPacket(interface: 0, frame: Packet.ethernet(payload: Packet.ipv4(payload: Packet.udp(payload: first))))
        writer.enhancedPacket(interface: 1, frame: Packet.sll2(payload: Packet.ipv4(payload: Packet.udp(payload: second))))

        let reader = try CaptureReader(bytes: writer.bytes, name: "two.pcapng")
        #expect(reader.format == .pcapng)
        let contents = try readCapture(writer.bytes, name: "two.pcapng")
        #expect(contents.error == nil)
        #expect(contents.payloads == [first, second])
        #expect(contents.statistics.packets == 2)
    }

    @Test(
        "converts timestamps with the interface's if_tsresol, microseconds by default",
        arguments: [
            // (if_tsresol, units, expected seconds, expected nanoseconds)
            (UInt8?.none, UInt64(1_700_000_000_123_456), Int64(1_700_000_000), UInt32(123_456_000)),
            (UInt8(6), 1_700_000_000_123_456, 1_700_000_000, 123_456_000),
            (UInt8(9), 1_700_000_000_123_456_789, 1_700_000_000, 123_456_789),
            (UInt8(3), 1_700_000_000_123, 1_700_000_000, 123_000_000),
            (UInt8(0), 1_700_000_000, 1_700_000_000, 0),
            (UInt8(12), 1_700_000_000_123_456_789, 1_700_000, 123_456),  // picoseconds: 0.000123456789 s, truncated to ns
            (UInt8(0x80 | 10), UInt64(1_700_000_000) << 10 | 512, 1_700_000_000, 500_000_000),  // 2^-10 s
            (UInt8(0x80 | 20), UInt64(5) << 20 | 1, 5, 953),  // 2^-20 s: 1 unit ≈ 953.67 ns
            (UInt8(0x80 | 0), 42, 42, 0),
        ]
    )
    func timestampResolution(resolution: UInt8?, units: UInt64, seconds: Int64, nanoseconds: UInt32) throws {
        var writer = PcapngWriter()
        writer.interface(linkType: 101, timestampResolution: resolution)
        writer.enhancedPacket(units: units, frame: Packet.ipv4(payload: Packet.udp(payload: first)))
        let contents = try readCapture(writer.bytes)
        #expect(contents.events.first?.timestamp == CaptureTimestamp(seconds: seconds, nanoseconds: nanoseconds))
    }

    @Test("adds the interface's if_tsoffset to its timestamps")
    func timestampOffset() throws {
        var writer = PcapngWriter(bigEndian: true)
        writer.interface(linkType: 101, timestampResolution: 0, timestampOffset: 1_000_000_000)
        writer.enhancedPacket(units: 700_000_000, frame: Packet.ipv4(payload: Packet.udp(payload: first)))
        let contents = try readCapture(writer.bytes)
        #expect(contents.events.first?.timestamp == CaptureTimestamp(seconds: 1_700_000_000, nanoseconds: 0))
    }

    @Test("reads Simple Packet Blocks as interface 0, at the time of the packet before them")
    func simplePacketBlocks() throws {
        var writer = PcapngWriter()
        writer.interface(linkType: 113)  // Linux SLL
        writer.simplePacket(frame: Packet.sll(payload: Packet.ipv4(payload: Packet.udp(payload: first))))
        writer.enhancedPacket(units: 1_700_000_005_000_000, frame: Packet.sll(payload: Packet.ipv4(payload: Packet.udp(payload: second))))
        writer.simplePacket(frame: Packet.sll(payload: Packet.ipv4(payload: Packet.udp(payload: first))))
        let contents = try readCapture(writer.bytes)
        #expect(contents.error == nil)
        #expect(contents.payloads == [first, second, first])
        #expect(contents.events.map(\.timestamp.seconds) == [0, 1_700_000_005, 1_700_000_005])
    }

    @Test("limits a Simple Packet Block to interface 0's snapshot length, and counts it as truncated")
    func simplePacketSnapLength() throws {
        var writer = PcapngWriter()
        writer.interface(linkType: 101, snapLength: 40)
        let packet = Packet.ipv4(payload: Packet.udp(payload: first))
        writer.simplePacket(frame: packet)
        let contents = try readCapture(writer.bytes)
        #expect(contents.events.isEmpty)
        #expect(contents.statistics.skipped == [.truncatedBySnapshotLength: 1])
    }

    @Test("reads the obsolete Packet Block")
    func obsoletePacketBlock() throws {
        var writer = PcapngWriter()
        writer.interface(linkType: 0)
        writer.interface(linkType: 1)
        writer.obsoletePacket(interface: 1, units: 1_700_000_000_000_001, frame: Packet.ethernet(payload: Packet.ipv4(payload: Packet.udp(payload: first))))
        let contents = try readCapture(writer.bytes)
        #expect(contents.payloads == [first])
        #expect(contents.events.first?.timestamp == CaptureTimestamp(seconds: 1_700_000_000, nanoseconds: 1000))
    }

    @Test("skips every other block type by its length")
    func skipsOtherBlocks() throws {
        var writer = PcapngWriter()
        writer.block(type: 4, body: [0, 1, 0, 8] + [127, 0, 0, 1] + Array(ascii: "lo\0\0") + [0, 0, 0, 0])  // NRB
        writer.interface(linkType: 101)
        writer.block(type: 5, body: [UInt8](repeating: 0, count: 12))  // ISB
        writer.enhancedPacket(frame: Packet.ipv4(payload: Packet.udp(payload: first)))
        writer.block(type: 0x0A, body: Array(ascii: "TLSK") + be32(4) + [1, 2, 3, 4])  // DSB
        writer.block(type: 0x0000_0BAD, body: be32(32473) + [9, 9, 9])  // custom
        writer.block(type: 0x4000_0BAD, body: be32(32473))  // custom, not to be copied
        writer.block(type: 0x7777, body: [])  // unknown
        writer.enhancedPacket(frame: Packet.ipv4(payload: Packet.udp(payload: second)))
        let contents = try readCapture(writer.bytes)
        #expect(contents.error == nil)
        #expect(contents.payloads == [first, second])
        #expect(contents.statistics.packets == 2)
    }

    @Test("reads several sections, each with its own byte order and interfaces")
    func sectionsWithDifferentByteOrders() throws {
        var writer = PcapngWriter(bigEndian: false)
        writer.interface(linkType: 1)
        writer.enhancedPacket(frame: Packet.ethernet(payload: Packet.ipv4(payload: Packet.udp(payload: first))))
        writer.section(bigEndian: true)
        writer.interface(linkType: 101, timestampResolution: 9)
        writer.enhancedPacket(units: 1_700_000_000_000_000_007, frame: Packet.ipv4(payload: Packet.udp(payload: second)))
        writer.section(bigEndian: false)
        writer.interface(linkType: 229)
        writer.enhancedPacket(frame: Packet.ipv6(payload: Packet.udp(payload: first)))

        let contents = try readCapture(writer.bytes)
        #expect(contents.error == nil)
        #expect(contents.payloads == [first, second, first])
        #expect(contents.events[1].timestamp == CaptureTimestamp(seconds: 1_700_000_000, nanoseconds: 7))
        #expect(contents.events[2].source.address.family == .ipv6)
    }

    @Test("forgets the interfaces of the previous section")
    func interfacesBelongToTheirSection() throws {
        var writer = PcapngWriter()
        writer.interface(linkType: 101)
        writer.section(bigEndian: true)
        writer.enhancedPacket(frame: Packet.ipv4(payload: Packet.udp(payload: first)))
        let contents = try readCapture(writer.bytes, name: "s.pcapng")
        #expect(contents.error?.problem == .undescribedInterface(id: 0, described: 0))
        #expect(contents.error?.location == .block(4))
    }
}
