import Testing

@testable import Capture

@Suite("IP and UDP decoding")
struct IPDecodingTests {
    let message = Packet.sipMessage("ip@1")

    @Test("honours IPv4 options through the header length")
    func ipv4Options() throws {
        // Record Route (7) with room for two addresses, then end of options.
        let options: [UInt8] = [7, 11, 4] + [UInt8](repeating: 0, count: 8) + [0]
        let contents = try readCapture(rawCapture([Packet.ipv4(options: options, payload: Packet.udp(payload: message))]))
        #expect(contents.payloads == [message])
    }

    @Test("steps over IPv6 hop-by-hop, routing and destination-options headers")
    func ipv6ExtensionHeaders() throws {
        let chain = concat(
            Packet.extensionHeader(nextHeader: 43),  // hop-by-hop → routing
            Packet.extensionHeader(nextHeader: 60, units: 3),  // routing → destination options
            Packet.extensionHeader(nextHeader: 17, units: 2),  // destination options → UDP
            Packet.udp(payload: message)
        )
        let contents = try readCapture(rawCapture([Packet.ipv6(nextHeader: 0, payload: chain)]))
        #expect(contents.payloads == [message])
        #expect(contents.events.first?.source == TestAddress.endpoint(TestAddress.client6, 5060))
        #expect(contents.events.first?.source.description == "[2001:db8::a]:5060")
    }

    @Test("decodes TCP behind IPv6 extension headers")
    func ipv6ExtensionHeadersBeforeTCP() throws {
        let segment = Packet.tcp(sequence: 1, payload: message)
        let contents = try readCapture(
            rawCapture([Packet.ipv6(nextHeader: 60, payload: Packet.extensionHeader(nextHeader: 6) + segment)])
        )
        #expect(contents.payloads == [message])
        #expect(contents.events.first?.transport == .tcp)
    }

    @Test(
        "skips and counts what is not UDP or TCP",
        arguments: [
            ("ICMP", Packet.ipv4(protocolNumber: 1, payload: [8, 0, 0, 0]), CaptureSkipReason.unsupportedIPProtocol(1)),
            ("ESP", Packet.ipv6(nextHeader: 50, payload: [UInt8](repeating: 1, count: 16)), .unsupportedIPProtocol(50)),
            ("AH behind hop-by-hop", Packet.ipv6(nextHeader: 0, payload: Packet.extensionHeader(nextHeader: 51) + [1, 2, 3, 4]), .unsupportedIPProtocol(51)),
            ("no next header", Packet.ipv6(nextHeader: 59, payload: []), .unsupportedIPProtocol(59)),
            ("ICMPv6", Packet.ipv6(nextHeader: 58, payload: [128, 0, 0, 0]), .unsupportedIPProtocol(58)),
            ("IPv4 header too short", Array(Packet.ipv4(payload: []).prefix(19)), .malformedIPv4Header),
            ("IPv4 IHL below 5", [0x44] + Array(Packet.ipv4(payload: [1]).dropFirst()), .malformedIPv4Header),
            ("IPv4 IHL past the packet", [0x4F] + Array(Packet.ipv4(payload: [1]).dropFirst()), .malformedIPv4Header),
            ("IPv4 total length below header", Packet.ipv4(totalLength: 12, payload: Packet.udp(payload: [1])), .malformedIPv4Header),
            ("IPv4 total length past frame", Packet.ipv4(totalLength: 400, payload: Packet.udp(payload: [1])), .truncatedIPDatagram),
            ("IPv6 header too short", Array(Packet.ipv6(payload: []).prefix(39)), .malformedIPv6Header),
            ("IPv6 payload length past frame", Packet.ipv6(payloadLength: 300, payload: Packet.udp(payload: [1])), .truncatedIPDatagram),
            ("IPv6 extension past packet", Packet.ipv6(nextHeader: 0, payload: [17, 4, 0, 0, 0, 0, 0, 0]), .malformedIPv6Header),
            ("IPv6 extension too short", Packet.ipv6(nextHeader: 60, payload: [17, 0, 0]), .malformedIPv6Header),
            ("UDP too short", Packet.ipv4(payload: [0x13, 0xC4, 0x13]), .malformedUDPHeader),
            ("TCP too short", Packet.ipv4(protocolNumber: 6, payload: [UInt8](repeating: 0, count: 19)), .malformedTCPHeader),
            ("TCP data offset past segment", Packet.ipv4(protocolNumber: 6, payload: Packet.tcp(sequence: 1, options: [UInt8](repeating: 1, count: 40)).prefix(40) + []), .malformedTCPHeader),
        ]
    )
    func skipped(name: String, packet: [UInt8], reason: CaptureSkipReason) throws {
        let contents = try readCapture(rawCapture([packet, Packet.ipv4(payload: Packet.udp(payload: message))]))
        #expect(contents.payloads == [message], "\(name)")
        #expect(contents.statistics.skipped == [reason: 1], "\(name)")
        #expect(contents.statistics.packets == 2, "\(name)")
    }

    @Test("takes the frame for the datagram when the IPv4 total length is 0 (segmentation offload)")
    func zeroTotalLength() throws {
        let contents = try readCapture(rawCapture([Packet.ipv4(totalLength: 0, payload: Packet.udp(payload: message))]))
        #expect(contents.payloads == [message])
    }

    @Test(
        "believes the UDP length only when it fits the IP payload",
        arguments: [
            (UInt16?.none, 5),  // exact
            (UInt16(8 + 3), 3),  // shorter: the rest is padding
            (UInt16(8), 0),  // empty datagram
            (UInt16(200), 5),  // longer than the IP payload: ignored
            (UInt16(4), 5),  // shorter than the header itself: ignored
        ]
    )
    func udpLength(length: UInt16?, expected: Int) throws {
        let payload: [UInt8] = [1, 2, 3, 4, 5]
        let contents = try readCapture(rawCapture([Packet.ipv4(payload: Packet.udp(payload: payload, length: length))]))
        #expect(contents.payloads == [Array(payload.prefix(expected))])
    }

    @Test("ignores IP and UDP checksums (offloaded on the capturing host)")
    func checksumsIgnored() throws {
        var packet = Packet.ipv4(payload: Packet.udp(payload: message))
        packet[10] = 0xFF
        packet[11] = 0xFF
        packet[26] = 0x12
        packet[27] = 0x34
        let contents = try readCapture(rawCapture([packet]))
        #expect(contents.payloads == [message])
    }
}
