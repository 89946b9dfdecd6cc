import Testing

@testable import Capture

@Suite("capture values")
struct CaptureValueTests {
    @Test(
        "prints addresses canonically",
        arguments: [
            ([127, 0, 0, 1], "127.0.0.1"),
            ([0, 0, 0, 0], "0.0.0.0"),
            ([255, 255, 255, 255], "255.255.255.255"),
            ([0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1], "2001:db8::1:0:0:1"),
            ([UInt8](repeating: 0, count: 15) + [1], "::1"),
            ([UInt8](repeating: 0, count: 16), "::"),
            ([0xFE, 0x80] + [UInt8](repeating: 0, count: 14), "fe80::"),
            ([0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8], "1:2:3:4:5:6:7:8"),
            ([0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], "2001:db8:0:1:1:1:1:1"),  // one zero group stays
            ([0x20, 0x01, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1], "2001:0:0:1::1"),  // the longer run wins
            ([0x20, 0x01, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1], "2001::1:0:0:1:1"),  // equal runs: the first
            ([UInt8](repeating: 0, count: 10) + [0xFF, 0xFF, 192, 0, 2, 1], "::ffff:192.0.2.1"),
        ]
    )
    func addressText(bytes: [UInt8], text: String) throws {
        let address = try #require(CaptureAddress(bytes: bytes))
        #expect(address.description == text)
        #expect(address.bytes == bytes)
        #expect(address.family == (bytes.count == 4 ? .ipv4 : .ipv6))
    }

    @Test("gives the integer values and refuses other byte counts")
    func addressValues() {
        #expect(CaptureAddress(bytes: [127, 0, 0, 1])?.ipv4Value == 0x7F00_0001)
        #expect(CaptureAddress(bytes: [127, 0, 0, 1])?.ipv6Value == nil)
        #expect(CaptureAddress(bytes: [UInt8](repeating: 0, count: 15) + [1])?.ipv6Value == 1)
        #expect(CaptureAddress(bytes: [1, 2, 3]) == nil)
        #expect(CaptureAddress(bytes: []) == nil)
        #expect(CaptureAddress(ipv4: 1) != CaptureAddress(ipv6: 1))
    }

    @Test("prints endpoints with IPv6 addresses in brackets")
    func endpointText() {
        #expect(TestAddress.endpoint([192, 0, 2, 1], 5060).description == "192.0.2.1:5060")
        #expect(CaptureEndpoint(address: CaptureAddress(ipv6: 1), port: 5061).description == "[::1]:5061")
    }

    @Test("orders, prints and subtracts timestamps")
    func timestamps() {
        let a = CaptureTimestamp(seconds: 10, nanoseconds: 999_999_999)
        let b = CaptureTimestamp(seconds: 11, nanoseconds: 0)
        #expect(a < b)
        #expect(b.nanoseconds(since: a) == 1)
        #expect(a.nanoseconds(since: b) == -1)
        #expect(a.description == "10.999999999")
        #expect(CaptureTimestamp(seconds: 3, nanoseconds: 5).description == "3.000000005")
        #expect(CaptureTimestamp(seconds: -2, nanoseconds: 250_000_000).description == "-1.750000000")
        #expect(CaptureTimestamp(seconds: 1, nanoseconds: 2_500_000_000) == CaptureTimestamp(seconds: 3, nanoseconds: 500_000_000))
        #expect(CaptureTimestamp(seconds: .max, nanoseconds: 2_000_000_000).seconds == .max)
        let far = CaptureTimestamp(seconds: .max, nanoseconds: 0)
        let early = CaptureTimestamp(seconds: .min, nanoseconds: 0)
        #expect(far.nanoseconds(since: early) == .max)
        #expect(early.nanoseconds(since: far) == .min)
        #expect(CaptureTimestamp(seconds: 1 << 40, nanoseconds: 0).nanoseconds(since: .zero) == .max)
    }

    @Test("names each skip reason in words")
    func skipReasons() {
        #expect(CaptureSkipReason.unsupportedLinkType(105).description == "unsupported link type 105")
        #expect(CaptureSkipReason.notIP(etherType: 0x0806).description == "not IP (EtherType 0x0806)")
        #expect(CaptureSkipReason.unsupportedIPProtocol(1).description == "IP protocol 1 ICMP (not UDP or TCP)")
        #expect(CaptureSkipReason.unsupportedIPProtocol(200).description == "IP protocol 200 (not UDP or TCP)")
        #expect(CaptureSkipReason.truncatedBySnapshotLength.description == "truncated by the snapshot length")
        let all: [CaptureSkipReason] = [
            .truncatedBySnapshotLength, .unsupportedLinkType(1), .truncatedLinkHeader, .notIP(etherType: 1),
            .unsupportedAddressFamily(1), .unknownIPVersion(1), .malformedIPv4Header, .malformedIPv6Header,
            .truncatedIPDatagram, .unsupportedIPProtocol(1), .malformedFragment, .inconsistentFragment,
            .malformedUDPHeader, .malformedTCPHeader,
        ]
        #expect(Set(all.map(\.description)).count == all.count)
    }

    @Test("events tell their time, ends and transport")
    func eventAccessors() {
        let source = TestAddress.endpoint([192, 0, 2, 1], 1)
        let destination = TestAddress.endpoint([192, 0, 2, 2], 2)
        let time = CaptureTimestamp(seconds: 5, nanoseconds: 6)
        let events: [CaptureEvent] = [
            .datagram(time, source: source, destination: destination, payload: [1]),
            .stream(time, source: source, destination: destination, bytes: [2]),
            .streamEnded(time, source: source, destination: destination),
        ]
        #expect(events.map(\.transport) == [.udp, .tcp, .tcp])
        #expect(events.allSatisfy { $0.timestamp == time && $0.source == source && $0.destination == destination })
        #expect(CaptureTransport.udp.description == "udp")
        #expect(CaptureFormat.pcapng.description == "pcapng")
    }
}
