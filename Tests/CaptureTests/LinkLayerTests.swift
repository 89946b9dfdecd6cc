import Testing

@testable import Capture

@Suite("link layers")
struct LinkLayerTests {
    static let message = Packet.sipMessage("link@1")
    static let ipv4 = Packet.ipv4(payload: Packet.udp(payload: message))
    static let ipv6 = Packet.ipv6(payload: Packet.udp(payload: message))

    @Test(
        "finds the IP packet in every supported link type",
        arguments: [
            ("Ethernet IPv4", UInt32(1), Packet.ethernet(payload: ipv4)),
            ("Ethernet IPv6", 1, Packet.ethernet(etherType: 0x86DD, payload: ipv6)),
            ("Ethernet 802.1Q", 1, Packet.ethernet(tags: [0x8100], payload: ipv4)),
            ("Ethernet QinQ 88a8", 1, Packet.ethernet(tags: [0x88A8, 0x8100], payload: ipv4)),
            ("Ethernet QinQ 9100", 1, Packet.ethernet(etherType: 0x86DD, tags: [0x9100, 0x8100], payload: ipv6)),
            ("Ethernet three tags", 1, Packet.ethernet(tags: [0x88A8, 0x8100, 0x8100], payload: ipv4)),
            ("Linux SLL IPv4", 113, Packet.sll(payload: ipv4)),
            ("Linux SLL IPv6", 113, Packet.sll(protocolType: 0x86DD, payload: ipv6)),
            ("Linux SLL2 IPv4", 276, Packet.sll2(payload: ipv4)),
            ("Linux SLL2 IPv6", 276, Packet.sll2(protocolType: 0x86DD, payload: ipv6)),
            ("raw 12 IPv4", 12, ipv4),
            ("raw 14 IPv6", 14, ipv6),
            ("raw 101 IPv4", 101, ipv4),
            ("raw 101 IPv6", 101, ipv6),
            ("IPv4 228", 228, ipv4),
            ("IPv6 229", 229, ipv6),
            ("NULL little-endian AF_INET", 0, Packet.null(family: 2, payload: ipv4)),
            ("NULL big-endian AF_INET", 0, Packet.null(family: 2, bigEndian: true, payload: ipv4)),
            ("NULL AF_INET6 Linux", 0, Packet.null(family: 10, payload: ipv6)),
            ("NULL AF_INET6 OpenBSD", 0, Packet.null(family: 24, bigEndian: true, payload: ipv6)),
            ("NULL AF_INET6 FreeBSD", 0, Packet.null(family: 28, payload: ipv6)),
            ("NULL AF_INET6 Darwin", 0, Packet.null(family: 30, payload: ipv6)),
            ("LOOP AF_INET", 108, Packet.null(family: 2, bigEndian: true, payload: ipv4)),
            ("LOOP AF_INET6", 108, Packet.null(family: 24, bigEndian: true, payload: ipv6)),
        ]
    )
    func supportedLinkTypes(name: String, linkType: UInt32, frame: [UInt8]) throws {
        var writer = PcapWriter(linkType: linkType)
        writer.add(frame)
        let contents = try readCapture(writer.bytes)
        #expect(contents.payloads == [Self.message], "\(name)")
        #expect(contents.statistics.skippedPackets == 0, "\(name)")
    }

    @Test("trims Ethernet padding and trailers to the IP total length")
    func ethernetPadding() throws {
        var writer = PcapWriter(linkType: 1)
        writer.add(Packet.ethernet(payload: Packet.ipv4(payload: Packet.udp(payload: [0x0D, 0x0A]))) + [UInt8](repeating: 0, count: 16))
        let contents = try readCapture(writer.bytes)
        #expect(contents.payloads == [[0x0D, 0x0A]])
    }

    @Test(
        "skips and counts what is not IP, by reason",
        arguments: [
            ("ARP", UInt32(1), Packet.ethernet(etherType: 0x0806, payload: [UInt8](repeating: 0, count: 28)), CaptureSkipReason.notIP(etherType: 0x0806)),
            ("tagged LLDP", 1, Packet.ethernet(etherType: 0x88CC, tags: [0x8100], payload: [1, 2]), .notIP(etherType: 0x88CC)),
            ("short Ethernet", 1, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x81], .truncatedLinkHeader),
            ("tag without EtherType", 1, Packet.ethernet(etherType: 0x8100, payload: [0, 1]), .truncatedLinkHeader),
            ("SLL ARP", 113, Packet.sll(protocolType: 0x0806, payload: [0]), .notIP(etherType: 0x0806)),
            ("short SLL", 113, [0, 0, 0, 1], .truncatedLinkHeader),
            ("short SLL2", 276, [0x08, 0x00], .truncatedLinkHeader),
            ("raw version 5", 101, [0x50, 0, 0, 0], .unknownIPVersion(5)),
            ("empty raw", 101, [], .truncatedLinkHeader),
            ("NULL AF 17", 0, Packet.null(family: 17, payload: [0]), .unsupportedAddressFamily(17)),
            ("short NULL", 0, [2, 0], .truncatedLinkHeader),
            ("short LOOP", 108, [0, 0, 0], .truncatedLinkHeader),
            ("802.11", 105, [0x08, 0x00, 1, 2], .unsupportedLinkType(105)),
            ("USB", 220, [0], .unsupportedLinkType(220)),
        ]
    )
    func skipped(name: String, linkType: UInt32, frame: [UInt8], reason: CaptureSkipReason) throws {
        var writer = PcapWriter(linkType: linkType)
        writer.add(frame)
        writer.add(frame)
        let contents = try readCapture(writer.bytes)
        #expect(contents.error == nil, "\(name)")
        #expect(contents.events.isEmpty, "\(name)")
        #expect(contents.statistics.packets == 2, "\(name)")
        #expect(contents.statistics.skipped == [reason: 2], "\(name)")
    }

    @Test("a raw IPv4 link type says nothing false about an IPv6 packet")
    func rawIPv4CarryingIPv6() throws {
        var writer = PcapWriter(linkType: 228)
        writer.add(Self.ipv6)
        let contents = try readCapture(writer.bytes)
        #expect(contents.statistics.skipped == [.malformedIPv4Header: 1])
    }
}
