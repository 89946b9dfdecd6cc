import AccessControl
import Admission
import Capture
import SIPCore
import Testing

@testable import sipfence

/// `sipfence replay` runs the daemon's flood limits with the capture's clock: the same
/// capture always drops and bans the same messages, whatever the machine's speed.
@Suite("Replay with flood limits")
struct ReplayFloodTests {
    /// `count` INVITEs from `source`, one every `spacing` seconds from a fixed time.
    static func invites(from source: String, count: Int, spacing: Double) -> [CaptureEvent] {
        (0..<count).map { index in
            let time = 1_800_000_000.0 + Double(index) * spacing
            let text = "INVITE sip:1@example.com SIP/2.0\r\nVia: SIP/2.0/UDP \(source):5060;branch=z9hG4bK\(index)\r\nMax-Forwards: 70\r\n"
                + "From: <sip:a@\(source)>;tag=1\r\nTo: <sip:1@example.com>\r\nCall-ID: flood-\(index)\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
            return .datagram(
                CaptureTimestamp(seconds: Int64(time), nanoseconds: UInt32((time - time.rounded(.down)) * 1e9)),
                source: CaptureEndpoint(address: try! IPAddress(source), port: 5060),
                destination: CaptureEndpoint(address: try! IPAddress("198.51.100.1"), port: 5060),
                payload: Array(text.utf8))
        }
    }

    static func replay(_ events: [CaptureEvent], flood: FloodGuard?) -> ReplayEngine.Summary {
        ReplayFixtures.replay(events, flood: flood).summary
    }

    @Test("a flood in a capture is dropped and banned by capture time, the same on every run; a listed source is not")
    func floodByCaptureTime() throws {
        let limits = FloodLimits(unknownSourceRate: 10, unknownSourceBurst: 10, banAfter: 2, banDuration: 60)
        // 100 INVITEs a second for 5 seconds from an unknown source.
        let flood = Self.invites(from: "203.0.113.7", count: 500, spacing: 0.01)
        let first = Self.replay(flood, flood: FloodGuard(limits: limits))
        let again = Self.replay(flood, flood: FloodGuard(limits: limits))
        #expect(first.bans.count == 1)
        #expect(first.bans.first?.reason == .requestRate && first.bans.first?.transport == .udp)
        // The burst, then 10 a second until the ban about 2 s in: about 40 handled.
        #expect((30...45).contains(first.messages), "\(first.messages) handled")
        #expect(first.messages + first.floodDropped.values.reduce(0, +) == 500)
        #expect((first.floodDropped["banned"] ?? 0) > 250)
        #expect(first.messages == again.messages && first.floodDropped == again.floodDropped && first.bans == again.bans)
        // Without flood limits every message is handled; a listed source is never limited.
        #expect(Self.replay(flood, flood: nil).messages == 500)
        let carrier = Self.replay(Self.invites(from: "192.0.2.10", count: 500, spacing: 0.01), flood: FloodGuard(limits: limits))
        #expect(carrier.messages == 500 && carrier.floodDropped.isEmpty && carrier.invites[.admitted] == 500)
    }
}
