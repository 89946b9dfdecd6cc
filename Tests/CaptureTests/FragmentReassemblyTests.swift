import Testing

@testable import Capture

@Suite("IP fragment reassembly")
struct FragmentReassemblyTests {
    /// A UDP datagram of `length` bytes of SIP-ish text, with its UDP header.
    static func datagram(_ length: Int = 3000) -> (udp: [UInt8], payload: [UInt8]) {
        let payload = (0..<length).map { UInt8(ascii: "a") + UInt8($0 % 26) }
        return (Packet.udp(payload: payload), payload)
    }

    /// IPv4 fragments of `udp`, each (offset, length) a slice of it.
    static func fragments(
        of udp: [UInt8],
        _ slices: [(Int, Int)],
        identification: UInt16 = 7,
        source: [UInt8] = TestAddress.client
    ) -> [[UInt8]] {
        slices.map { offset, length in
            Packet.ipv4(
                source: source,
                identification: identification,
                moreFragments: offset + length < udp.count,
                fragmentOffset: offset,
                payload: Array(udp[offset..<(offset + length)])
            )
        }
    }

    @Test(
        "reassembles IPv4 fragments in any order, duplicated or not",
        arguments: [
            [0, 1, 2],
            [2, 1, 0],
            [1, 2, 0],
            [2, 0, 1],
            [0, 0, 1, 1, 2],  // duplicates before completion
        ]
    )
    func ipv4AnyOrder(order: [Int]) throws {
        let (udp, payload) = Self.datagram()
        let pieces = Self.fragments(of: udp, [(0, 1480), (1480, 1480), (2960, udp.count - 2960)])
        let contents = try readCapture(rawCapture(order.map { pieces[$0] }))
        #expect(contents.payloads == [payload])
        #expect(contents.statistics.ipv4Fragments == order.count)
        #expect(contents.statistics.reassembledDatagrams == 1)
        #expect(contents.statistics.incompleteDatagrams == 0)
        #expect(contents.statistics.udpDatagrams == 1)
        #expect(contents.events.first?.source == TestAddress.endpoint(TestAddress.client, 5060))
    }

    @Test("resolves overlapping fragments in favour of the first bytes read")
    func overlapFirstWins() throws {
        let (udp, _) = Self.datagram(64)
        var forged = udp
        for index in 16..<40 { forged[index] = UInt8(ascii: "X") }
        let first = Packet.ipv4(identification: 9, moreFragments: true, fragmentOffset: 0, payload: Array(udp[0..<32]))
        // Overlaps bytes 16..<32 of the first with different content.
        let overlapping = Packet.ipv4(identification: 9, moreFragments: true, fragmentOffset: 16, payload: Array(forged[16..<48]))
        let last = Packet.ipv4(identification: 9, fragmentOffset: 40, payload: Array(forged[40...]))
        let contents = try readCapture(rawCapture([first, overlapping, last]))
        var expected = udp
        for index in 32..<40 { expected[index] = UInt8(ascii: "X") }  // only the overlapping fragment had these
        #expect(contents.payloads == [Array(expected[8...])])

        // The other order gives the other winner: deterministic in the order of the capture.
        let reversed = try readCapture(rawCapture([overlapping, first, last]))
        #expect(reversed.payloads == [Array(forged[8...])])
    }

    @Test("keeps datagrams with different identification, addresses or protocol apart")
    func keyedByIdentificationAndAddresses() throws {
        let (udp, payload) = Self.datagram(100)
        let a = Self.fragments(of: udp, [(0, 48), (48, 60)], identification: 1)
        let b = Self.fragments(of: udp, [(0, 48), (48, 60)], identification: 2)
        let c = Self.fragments(of: udp, [(0, 48), (48, 60)], identification: 1, source: [192, 0, 2, 99])
        let contents = try readCapture(rawCapture([a[0], b[0], c[0], c[1], b[1], a[1]]))
        #expect(contents.payloads == [payload, payload, payload])
        #expect(contents.events.map(\.source.address.description) == ["192.0.2.99", "192.0.2.10", "192.0.2.10"])
    }

    @Test("gives up a datagram after 30 s of capture time and counts it incomplete")
    func timeout() throws {
        let (udp, payload) = Self.datagram(100)
        let pieces = Self.fragments(of: udp, [(0, 48), (48, 60)])
        // First fragment at t=0, its partner 31 s later: too late. A second datagram
        // (new identification) completes within the window.
        let later = Self.fragments(of: udp, [(0, 48), (48, 60)], identification: 8)
        var writer = PcapWriter(linkType: 101)
        writer.add(pieces[0], seconds: 100)
        writer.add(later[0], seconds: 120)
        writer.add(pieces[1], seconds: 131)
        writer.add(later[1], seconds: 131)
        let contents = try readCapture(writer.bytes)
        #expect(contents.payloads == [payload])
        #expect(contents.statistics.reassembledDatagrams == 1)
        // One timed out; the lone last fragment at 131 s was still waiting at the end.
        #expect(contents.statistics.incompleteDatagrams == 2)
    }

    @Test("counts datagrams still incomplete at the end of the capture")
    func incompleteAtEnd() throws {
        let (udp, _) = Self.datagram(100)
        let pieces = Self.fragments(of: udp, [(0, 48), (48, 60)])
        let contents = try readCapture(rawCapture([pieces[1]]))
        #expect(contents.events.isEmpty)
        #expect(contents.statistics.ipv4Fragments == 1)
        #expect(contents.statistics.incompleteDatagrams == 1)
    }

    @Test("holds at most 1024 datagrams, giving up the oldest")
    func boundedPendingDatagrams() throws {
        let (udp, payload) = Self.datagram(100)
        var packets: [[UInt8]] = []
        for identification in 0..<1030 {
            packets.append(Self.fragments(of: udp, [(0, 48)], identification: UInt16(identification))[0])
        }
        // The first datagram's partner comes after it has been evicted; the last one's
        // while it is still held.
        packets.append(Self.fragments(of: udp, [(0, 48), (48, 60)], identification: 0)[1])
        packets.append(Self.fragments(of: udp, [(0, 48), (48, 60)], identification: 1029)[1])
        let contents = try readCapture(rawCapture(packets, spacingMicroseconds: 1))
        #expect(contents.payloads == [payload])
        #expect(contents.statistics.reassembledDatagrams == 1)
        // 1030 + 1 (the orphan) - 1 (completed) - 1024... all but the completed one are given up.
        #expect(contents.statistics.incompleteDatagrams == 1030)
    }

    @Test(
        "refuses fragments that cannot belong to a valid datagram",
        arguments: [
            ("past 65,535 bytes", Packet.ipv4(moreFragments: false, fragmentOffset: 65_528, payload: [UInt8](repeating: 0, count: 16)), CaptureSkipReason.malformedFragment),
            ("middle fragment not a multiple of 8", Packet.ipv4(moreFragments: true, fragmentOffset: 8, payload: [UInt8](repeating: 0, count: 12)), .malformedFragment),
            ("empty middle fragment", Packet.ipv4(moreFragments: true, fragmentOffset: 8, payload: []), .malformedFragment),
        ]
    )
    func malformed(name: String, packet: [UInt8], reason: CaptureSkipReason) throws {
        let contents = try readCapture(rawCapture([packet]))
        #expect(contents.events.isEmpty, "\(name)")
        #expect(contents.statistics.skipped == [reason: 1], "\(name)")
    }

    @Test("refuses fragments that contradict the datagram's known end")
    func inconsistentFragments() throws {
        let (udp, payload) = Self.datagram(100)
        let pieces = Self.fragments(of: udp, [(0, 48), (48, 60)])
        let secondEnd = Packet.ipv4(identification: 7, fragmentOffset: 48, payload: Array(udp[48..<96]))  // ends at 96, not 108
        let pastEnd = Packet.ipv4(identification: 7, moreFragments: true, fragmentOffset: 104, payload: [UInt8](repeating: 0, count: 8))
        let contents = try readCapture(rawCapture([pieces[1], secondEnd, pastEnd, pieces[0]]))
        #expect(contents.payloads == [payload])
        #expect(contents.statistics.skipped == [.inconsistentFragment: 2])

        // A last fragment ending before bytes already held contradicts them too.
        let early = Packet.ipv4(identification: 3, fragmentOffset: 8, payload: [1, 2, 3])
        let beyond = Packet.ipv4(identification: 3, moreFragments: true, fragmentOffset: 16, payload: [UInt8](repeating: 0, count: 8))
        let other = try readCapture(rawCapture([beyond, early]))
        #expect(other.statistics.skipped == [.inconsistentFragment: 1])
    }

    @Test("does not reassemble protocols it would skip anyway")
    func fragmentsOfOtherProtocols() throws {
        let packet = Packet.ipv4(protocolNumber: 1, moreFragments: true, payload: [UInt8](repeating: 0, count: 8))
        let contents = try readCapture(rawCapture([packet]))
        #expect(contents.statistics.skipped == [.unsupportedIPProtocol(1): 1])
        #expect(contents.statistics.ipv4Fragments == 0)
    }

    /// IPv6 fragments of `fragmentable` (what follows the fragment header), each (offset, length).
    static func ipv6Fragments(
        of fragmentable: [UInt8],
        nextHeader: UInt8,
        _ slices: [(Int, Int)],
        unfragmentable: [UInt8] = [],
        firstHeader: UInt8 = 44
    ) -> [[UInt8]] {
        slices.map { offset, length in
            Packet.ipv6(
                nextHeader: firstHeader,
                payload: unfragmentable
                    + Packet.fragmentHeader(
                        nextHeader: nextHeader,
                        offset: offset,
                        moreFragments: offset + length < fragmentable.count,
                        identification: 0xABCD
                    )
                    + Array(fragmentable[offset..<(offset + length)])
            )
        }
    }

    @Test("reassembles IPv6 fragments, behind a hop-by-hop header, with options after the fragment header")
    func ipv6Fragments() throws {
        let (udp, payload) = Self.datagram(2000)
        // Destination options travel in the fragmentable part, before UDP.
        let fragmentable = Packet.extensionHeader(nextHeader: 17) + udp
        let pieces = Self.ipv6Fragments(
            of: fragmentable,
            nextHeader: 60,
            [(0, 1232), (1232, fragmentable.count - 1232)],
            unfragmentable: Packet.extensionHeader(nextHeader: 44),
            firstHeader: 0
        )
        let contents = try readCapture(rawCapture([pieces[1], pieces[0]]))
        #expect(contents.payloads == [payload])
        #expect(contents.statistics.ipv6Fragments == 2)
        #expect(contents.statistics.reassembledDatagrams == 1)
        #expect(contents.events.first?.source.address.family == .ipv6)
    }

    @Test("reads an IPv6 atomic fragment (offset 0, no more fragments) directly")
    func ipv6AtomicFragment() throws {
        let (udp, payload) = Self.datagram(40)
        let pieces = Self.ipv6Fragments(of: udp, nextHeader: 17, [(0, udp.count)])
        let contents = try readCapture(rawCapture(pieces))
        #expect(contents.payloads == [payload])
        #expect(contents.statistics.ipv6Fragments == 0)
    }

    @Test("refuses a fragment header inside a reassembled IPv6 datagram")
    func nestedIPv6Fragment() throws {
        let inner = Packet.fragmentHeader(nextHeader: 17, offset: 8, moreFragments: true, identification: 1) + [UInt8](repeating: 0, count: 8)
        let pieces = Self.ipv6Fragments(of: inner, nextHeader: 44, [(0, 8), (8, 8)])
        let contents = try readCapture(rawCapture(pieces))
        #expect(contents.statistics.reassembledDatagrams == 1)
        #expect(contents.statistics.skipped == [.malformedFragment: 1])
    }

    @Test("keeps giving up old datagrams steadily through a long capture")
    func steadyExpiry() throws {
        // 2000 lone first fragments, 50 ms apart: about 600 wait at any time, the rest time
        // out in order. A datagram completed at the very end still reassembles.
        let (udp, payload) = Self.datagram(100)
        var writer = PcapWriter(linkType: 101)
        for index in 0..<2000 {
            let fragment = Self.fragments(of: udp, [(0, 48)], identification: UInt16(index))[0]
            writer.add(fragment, seconds: 1000 + UInt32(index / 20), fraction: UInt32(index % 20) * 50_000)
        }
        for fragment in Self.fragments(of: udp, [(0, 48), (48, 60)], identification: 9999) {
            writer.add(fragment, seconds: 1100)
        }
        let contents = try readCapture(writer.bytes)
        #expect(contents.payloads == [payload])
        #expect(contents.statistics.incompleteDatagrams == 2000)
        #expect(contents.statistics.reassembledDatagrams == 1)
    }
}
