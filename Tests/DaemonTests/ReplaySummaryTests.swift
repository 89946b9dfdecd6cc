import AccessControl
import Admission
import Capture
import SIPCore
import Testing

@testable import sipfence

/// What `sipfence replay` tells an operator about hostile or broken captures (issue 11).
@Suite("Replay summary and malformed calls")
struct ReplaySummaryTests {
    static func datagram(_ text: String, index: Int = 0) -> CaptureEvent {
        .datagram(
            CaptureTimestamp(seconds: 1_800_000_000 + Int64(index), nanoseconds: 0),
            source: CaptureEndpoint(address: try! IPAddress("203.0.113.7"), port: 5060),
            destination: CaptureEndpoint(address: try! IPAddress("198.51.100.1"), port: 5060),
            payload: Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8))
    }

    static func request(method: String, index: Int) -> CaptureEvent {
        datagram(
            """
            \(method) sip:1@example.com SIP/2.0
            Via: SIP/2.0/UDP 203.0.113.7:5060;branch=z9hG4bK\(index)
            Max-Forwards: 70
            From: <sip:a@203.0.113.7>;tag=1
            To: <sip:1@example.com>
            Call-ID: call-\(index)
            CSeq: 1 \(method)
            Content-Length: 0


            """, index: index)
    }


    @Test("garbage method tokens fold into one bucket with a bounded tally; registered methods keep their counts")
    func garbageMethods() {
        // A mutated capture: 3,000 distinct unregistered tokens beside real requests.
        var events = (0..<3000).map { Self.request(method: "X\($0)GARBAGE", index: $0) }
        events += (0..<5).map { Self.request(method: "INVITE", index: 10_000 + $0) }
        events += (0..<2).map { Self.request(method: "OPTIONS", index: 20_000 + $0) }
        let (summary, _) = ReplayFixtures.replay(events)
        #expect(summary.requestsByMethod == ["INVITE": 5, "OPTIONS": 2])
        #expect(summary.otherMethods.requests == 3000)
        #expect(summary.requests == 3007)
        #expect(summary.otherMethods.distinctDescription == "at least \(ReplayEngine.OtherMethods.trackedNames + 1) distinct")
        #expect(summary.otherMethods.top(10).count == 10)

        var small = ReplayEngine.OtherMethods()
        for name in ["FOO", "FOO", "BAR"] { small.count(name) }
        #expect(small.distinctDescription == "2 distinct")
        #expect(small.top(10).map(\.method) == ["FOO", "BAR"])
    }

    @Test(
        "a malformed INVITE still names its Call-ID, and its domain when the Request-URI is readable",
        arguments: [
            // A real phone's INVITE: unbracketed IPv6 in the Via (RFC 3261 §25.1 requires [ ]).
            ("INVITE sip:+14155550100@example.com SIP/2.0\nVia: SIP/2.0/UDP 2001:db8::10:5060;branch=z9hG4bKv6\n", "example.com"),
            // …and in the Request-URI too: libosip2 reads its host as far as the last colon.
            ("INVITE sip:+14155550100@2001:db8::1:5060 SIP/2.0\nVia: SIP/2.0/UDP 2001:db8::10:5060;branch=z9hG4bKv6\n", "2001:db8::1"),
            // A Request-URI nothing can read: no domain to name.
            ("INVITE sip:+14155550100@ex ample.com SIP/2.0\nVia: SIP/2.0/UDP 2001:db8::10:5060;branch=z9hG4bKv6\n", nil),
            // A readable Via and Request-URI, a broken CSeq: answered with 400.
            ("INVITE sip:+14155550100@Example.COM SIP/2.0\nVia: SIP/2.0/UDP 203.0.113.7:5060;branch=z9hG4bKc\n", "example.com"),
        ] as [(String, String?)]
    )
    func malformedInviteNamesItsCall(head: String, domain: String?) throws {
        let cseq = head.contains("branch=z9hG4bKc") ? "CSeq: one INVITE" : "CSeq: 1 INVITE"
        let text = head + "Max-Forwards: 70\nFrom: <sip:a@example.net>;tag=1\nTo: <sip:+14155550100@example.com>\n"
            + "Call-ID: phone-call-1@example.net\n\(cseq)\nContent-Length: 0\n\n"
        let (summary, outcomes) = ReplayFixtures.replay([Self.datagram(text)])
        let decision = try #require(outcomes.first?.decision)
        #expect(decision.verdict == .malformed)
        #expect(decision.method == "INVITE")
        #expect(decision.callID == "phone-call-1@example.net")
        #expect(decision.domain?.normalized == domain)
        #expect(summary.invites[.malformed] == 1)
    }

    @Test("report lines write each time as iso8601 does, within one second and across seconds")
    func lineTimes() {
        var formatter = ReplayTimeFormatter()
        let times = [
            CaptureTimestamp(seconds: 1_800_000_000, nanoseconds: 0),
            CaptureTimestamp(seconds: 1_800_000_000, nanoseconds: 999_999_999),
            CaptureTimestamp(seconds: 1_800_000_000, nanoseconds: 1_000),
            CaptureTimestamp(seconds: 1_800_000_001, nanoseconds: 123_456_789),
            CaptureTimestamp(seconds: 0, nanoseconds: 7_000),
            CaptureTimestamp(seconds: 1_800_000_001, nanoseconds: 500),
            CaptureTimestamp(seconds: 951_782_400, nanoseconds: 42_000),  // 2000-02-29
        ]
        for time in times {
            var buffer = Array("x ".utf8)
            formatter.append(time, to: &buffer)
            #expect(String(decoding: buffer, as: UTF8.self) == "x " + ReplayReport.iso8601(time))
        }
        #expect(ReplayReport.iso8601(times[1]) == "2027-01-15T08:00:00.999999Z")
    }
}
