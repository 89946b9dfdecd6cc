import AccessControl
import Testing

@testable import Capture

@Suite("capture values")
struct CaptureValueTests {
    @Test("prints endpoints with IPv6 addresses in brackets")
    func endpointText() {
        #expect(TestAddress.endpoint([192, 0, 2, 1], 5060).description == "192.0.2.1:5060")
        #expect(CaptureEndpoint(address: IPAddress(ipv6: 1), port: 5061).description == "[::1]:5061")
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
