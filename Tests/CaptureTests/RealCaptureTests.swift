import Testing

@testable import Capture

/// Captures of real loopback traffic made by tcpdump and tshark (see Captures/README.md),
/// whose contents were checked against `tshark -T fields -e udp.payload` and
/// `tshark -z follow,tcp,raw` when they were made.
@Suite("captures made by tcpdump and tshark")
struct RealCaptureTests {
    static func message(_ method: String, _ callID: String, _ body: String = "") -> [UInt8] {
        Array(ascii: "\(method) sip:bob@example.com SIP/2.0\r\nCall-ID: \(callID)\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
    }

    static func endpoint(_ address: String, _ port: UInt16) -> CaptureEndpoint {
        let bytes: [UInt8] = address == "::1" ? [UInt8](repeating: 0, count: 15) + [1] : address.split(separator: ".").compactMap { UInt8($0) }
        return TestAddress.endpoint(bytes, port)
    }

    static let server = endpoint("127.0.0.1", 45678)
    static let client = endpoint("127.0.0.3", 60717)

    /// Every UDP datagram traffic.py sent, in order: (source, destination, payload).
    static let datagrams: [(CaptureEndpoint, CaptureEndpoint, [UInt8])] = [
        (endpoint("127.0.0.2", 45679), server, message("INVITE", "udp-1")),
        (endpoint("127.0.0.2", 45679), server, message("INVITE", "udp-2")),
        (endpoint("127.0.0.2", 45679), server, message("INVITE", "udp-3")),
        (endpoint("::1", 45680), endpoint("::1", 45678), message("OPTIONS", "udp6-1")),
        (endpoint("::1", 45682), endpoint("::1", 45678), message("INVITE", "frag6-1", String(repeating: "v", count: 2900))),
        (endpoint("127.0.0.4", 45683), server, message("INVITE", "frag4-1", String(repeating: "w", count: 1400))),
        (endpoint("127.0.0.2", 45679), endpoint("127.0.0.1", 45687), message("INVITE", "closed-1")),
    ]

    static let upstream = message("INVITE", "tcp-1") + message("ACK", "tcp-2") + message("BYE", "tcp-3", String(repeating: "x", count: 40))
    static let downstream = Array(ascii: "SIP/2.0 200 OK\r\nCall-ID: tcp-3\r\nContent-Length: 0\r\n\r\n")

    static func path(_ name: String) -> String { TestFiles.capturesDirectory() + "/" + name }

    static func read(_ name: String) throws -> (CaptureContents, CaptureFormat) {
        var reader = try CaptureReader(path: path(name))
        var contents = CaptureContents()
        while let event = try reader.next() { contents.events.append(event) }
        contents.statistics = reader.statistics
        return (contents, reader.format)
    }

    static func datagrams(in contents: CaptureContents) -> [(CaptureEndpoint, CaptureEndpoint, [UInt8])] {
        contents.events.compactMap {
            guard case .datagram(_, let source, let destination, let payload) = $0 else { return nil }
            return (source, destination, payload)
        }
    }

    static func expectSameDatagrams(_ actual: [(CaptureEndpoint, CaptureEndpoint, [UInt8])], _ expected: [(CaptureEndpoint, CaptureEndpoint, [UInt8])]) {
        #expect(actual.count == expected.count)
        for (got, wanted) in zip(actual, expected) {
            #expect(got.0 == wanted.0)
            #expect(got.1 == wanted.1)
            #expect(got.2 == wanted.2, "\(String(decoding: wanted.2.prefix(60), as: UTF8.self))")
        }
    }

    @Test(
        "reads loopback Ethernet (µs) and Linux SLL2 (ns) pcaps as tshark does",
        arguments: [("lo-ethernet.pcap", "1795922422.040733000"), ("any-sll2-ns.pcap", "1795922422.040733523")]
    )
    func pcaps(name: String, firstTime: String) throws {
        let (contents, format) = try Self.read(name)
        #expect(format == .pcap)
        #expect(contents.events.first?.timestamp.description == firstTime)
        Self.expectSameDatagrams(Self.datagrams(in: contents), Self.datagrams)
        #expect(contents.streams == ["\(Self.client)>\(Self.server)": Self.upstream, "\(Self.server)>\(Self.client)": Self.downstream])
        // The client's segments as sent: two messages in one, then the third in three sends.
        let upstreamSegments = contents.events.compactMap { event -> Int? in
            guard case .stream(_, let source, _, let bytes) = event, source == Self.client else { return nil }
            return bytes.count
        }
        #expect(upstreamSegments == [143, 10, 20, 81])
        #expect(contents.endedStreams == ["\(Self.client)>\(Self.server)", "\(Self.server)>\(Self.client)"])

        var expected = CaptureStatistics()
        expected.packets = 27
        expected.udpDatagrams = 7
        expected.tcpSegments = 16
        expected.tcpBytesDelivered = Self.upstream.count + Self.downstream.count
        expected.ipv4Fragments = 2
        expected.ipv6Fragments = 3
        expected.reassembledDatagrams = 2
        expected.skipped = [.unsupportedIPProtocol(1): 1]  // the ICMP port unreachable
        #expect(contents.statistics == expected)
    }

    @Test("reads a pcapng of two interfaces (Ethernet and Linux SLL), the second's copies not doubling the TCP streams")
    func twoInterfacePcapng() throws {
        let (contents, format) = try Self.read("lo-and-any.pcapng")
        #expect(format == .pcapng)
        // Every packet is there twice, once per interface. dumpcap wrote them in batches per
        // interface (13 of lo, 13 of any, 14 of lo, 14 of any), so time steps back at each
        // batch: the four first datagrams twice, then the three last twice.
        let first = Array(Self.datagrams[0..<4])
        let last = Array(Self.datagrams[4...])
        Self.expectSameDatagrams(Self.datagrams(in: contents), first + first + last + last)
        #expect(contents.streams == ["\(Self.client)>\(Self.server)": Self.upstream, "\(Self.server)>\(Self.client)": Self.downstream])
        #expect(contents.endedStreams.count == 2)
        #expect(contents.statistics.packets == 54)
        #expect(contents.statistics.reassembledDatagrams == 4)
        #expect(contents.statistics.incompleteDatagrams == 0)
        #expect(contents.statistics.tcpBytesRetransmitted == Self.upstream.count + Self.downstream.count)
        #expect(contents.statistics.skipped == [.unsupportedIPProtocol(1): 2])
    }
}
