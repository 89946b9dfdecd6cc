import AccessControl
import Admission
import SIPCore
import Testing

@Suite("Admission pipeline")
struct AdmissionPipelineTests {
    static let invite = """
        INVITE sip:+14155550100@trunk.example.com SIP/2.0
        Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK776asdhds;rport
        Max-Forwards: 70
        To: <sip:+14155550100@trunk.example.com>
        From: "Alice" <sip:alice@carrier.example.net>;tag=1928301774
        Call-ID: a84b4c76e66710@pc33.example.net
        CSeq: 314159 INVITE
        Contact: <sip:alice@192.0.2.10:5062>
        Content-Type: application/sdp
        Content-Length: 5

        v=0

        """

    func decide(_ text: String, from source: SIPSource, pipeline: AdmissionPipeline = Fixtures.pipeline) -> AdmissionDecision {
        pipeline.decide(Fixtures.message(text), from: source, policy: Fixtures.policy, now: Fixtures.now)
    }

    /// The To-tag sipfence puts on its own responses to `invite` (SipHash-2-4 of Call-ID,
    /// From tag and branch under the fixture secret).
    func localTag(of text: String) throws -> String {
        let message = try SIPMessage(parsing: Fixtures.message(text), framing: .datagram)
        let response = try SIPMessage(
            parsing: message.response(.forbidden, receivedVia: message.topVia, secret: Fixtures.secret),
            framing: .datagram
        )
        return try #require(response.toTag)
    }

    // MARK: Refusals

    @Test("an INVITE from outside the domain's lists gets exactly this 403")
    func refusedInvite() throws {
        let decision = decide(Self.invite, from: Fixtures.refused)
        #expect(decision.verdict == .rejected)
        #expect(decision.reason == "source_not_in_any_list")
        #expect(decision.domain == DomainName(normalizing: "trunk.example.com"))
        #expect(decision.statusCode == 403)
        #expect(decision.outbound?.destination == .address(.udp, host: "203.0.113.9", port: 5062))
        let tag = try localTag(of: Self.invite)
        #expect(tag.count == 18 && tag.allSatisfy(\.isHexDigit))  // key id, then the hash
        #expect(
            Fixtures.text(decision.outbound?.bytes) == """
                SIP/2.0 403 Forbidden\r
                Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK776asdhds;rport=5062;received=203.0.113.9\r
                From: "Alice" <sip:alice@carrier.example.net>;tag=1928301774\r
                To: <sip:+14155550100@trunk.example.com>;tag=\(tag)\r
                Call-ID: a84b4c76e66710@pc33.example.net\r
                CSeq: 314159 INVITE\r
                Content-Length: 0\r
                \r

                """)
    }

    @Test("a retransmitted INVITE gets a byte-identical 403; another secret gives another tag")
    func retransmission() throws {
        let first = decide(Self.invite, from: Fixtures.refused).outbound
        let second = decide(Self.invite, from: Fixtures.refused).outbound
        #expect(first != nil && first == second)
        var settings = Fixtures.settings
        settings.secret = SIPStatelessSecret(1, 2)
        let other = decide(Self.invite, from: Fixtures.refused, pipeline: AdmissionPipeline(settings: settings)).outbound
        #expect(other != first)
    }

    @Test("the ACK for our 403 is absorbed; an ACK with another tag is forwarded")
    func ackAbsorption() throws {
        let tag = try localTag(of: Self.invite)
        let ack = """
            ACK sip:+14155550100@trunk.example.com SIP/2.0
            Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK776asdhds;rport
            Max-Forwards: 70
            To: <sip:+14155550100@trunk.example.com>;tag=\(tag)
            From: "Alice" <sip:alice@carrier.example.net>;tag=1928301774
            Call-ID: a84b4c76e66710@pc33.example.net
            CSeq: 314159 ACK
            Content-Length: 0


            """
        for source in [Fixtures.refused, Fixtures.allowed] {
            let decision = decide(ack, from: source)
            #expect(decision.verdict == .absorbed)
            #expect(decision.outbound == nil)
        }
        let foreign = decide(ack.replacingOccurrences(of: "tag=\(tag)", with: "tag=upstream-486"), from: Fixtures.allowed)
        #expect(decision(foreign, isForwardedUpstream: true))
    }

    @Test("unknown domains get 403, or the configured status")
    func unknownDomain() {
        let text = Self.invite.replacingOccurrences(of: "trunk.example.com", with: "elsewhere.example")
        let decision = decide(text, from: Fixtures.allowed)
        #expect(decision.verdict == .unknownDomain)
        #expect(decision.statusCode == 403)
        var settings = Fixtures.settings
        settings.unknownDomainStatus = .notFound
        let notFound = decide(text, from: Fixtures.allowed, pipeline: AdmissionPipeline(settings: settings))
        #expect(notFound.statusCode == 404)
        #expect(Fixtures.statusCode(of: notFound.outbound?.bytes ?? []) == 404)
    }

    @Test("a domain with no list mapped admits nobody")
    func closedDomain() {
        let decision = decide(Self.invite.replacingOccurrences(of: "trunk.example.com", with: "closed.example.com"), from: Fixtures.allowed)
        #expect(decision.verdict == .rejected)
        #expect(decision.reason == "no_list_mapped")
        #expect(decision.statusCode == 403)
    }

    @Test("an INVITE for a non-SIP Request-URI gets 416")
    func telURI() {
        let decision = decide(Self.invite.replacingOccurrences(of: "INVITE sip:+14155550100@trunk.example.com", with: "INVITE tel:+14155550100"), from: Fixtures.allowed)
        #expect(decision.verdict == .rejected)
        #expect(decision.statusCode == 416)
    }

    @Test("Max-Forwards 0 gets exactly this 483")
    func tooManyHops() throws {
        let text = Self.invite.replacingOccurrences(of: "Max-Forwards: 70", with: "Max-Forwards: 0")
        let decision = decide(text, from: Fixtures.allowed)
        #expect(decision.verdict == .tooManyHops)
        let tag = try localTag(of: text)
        #expect(
            Fixtures.text(decision.outbound?.bytes) == """
                SIP/2.0 483 Too Many Hops\r
                Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK776asdhds;rport=5062;received=192.0.2.10\r
                From: "Alice" <sip:alice@carrier.example.net>;tag=1928301774\r
                To: <sip:+14155550100@trunk.example.com>;tag=\(tag)\r
                Call-ID: a84b4c76e66710@pc33.example.net\r
                CSeq: 314159 INVITE\r
                Content-Length: 0\r
                \r

                """)
    }

    @Test("a malformed request gets exactly this 400, copying what it had")
    func badRequest() {
        let text = Self.invite.replacingOccurrences(of: "CSeq: 314159 INVITE", with: "CSeq: 314159 OPTIONS")
        let decision = decide(text, from: Fixtures.refused)
        #expect(decision.verdict == .malformed)
        #expect(decision.reason == "cseq_method_mismatch")
        let sent = Fixtures.text(decision.outbound?.bytes)
        #expect(sent.hasPrefix("SIP/2.0 400 Bad Request (CSeq method OPTIONS does not match request method INVITE)\r\n"))
        #expect(sent.contains("\r\nVia: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK776asdhds;rport=5062;received=203.0.113.9\r\n"))
        #expect(sent.contains("\r\nCSeq: 314159 OPTIONS\r\n"))
        #expect(sent.contains("\r\nTo: <sip:+14155550100@trunk.example.com>;tag="))
        #expect(sent.hasSuffix("\r\nContent-Length: 0\r\n\r\n"))
        #expect(decide(text, from: Fixtures.refused).outbound == decision.outbound)
    }

    @Test("garbage and malformed ACKs are dropped, never answered")
    func dropped() {
        for text in ["hello", "\r\n\r\n", "INVITE sip:a@b SIP/2.0\nVia: nonsense\n\n", Self.invite.replacingOccurrences(of: "INVITE", with: "ACK").replacingOccurrences(of: "CSeq: 314159 ACK", with: "CSeq: x")] {
            let decision = decide(text, from: Fixtures.allowed)
            #expect(decision.verdict == .malformed)
            #expect(decision.outbound == nil)
        }
    }

    // MARK: Forwarding

    @Test("an admitted INVITE is forwarded upstream, byte-exact but for Via, Record-Route and Max-Forwards")
    func admittedInvite() throws {
        let decision = decide(Self.invite, from: Fixtures.allowed)
        #expect(decision.verdict == .admitted)
        #expect(decision.match == AccessMatch(listID: "AL00000000000000000000000000000001", listName: "carrier", prefix: try IPPrefix("192.0.2.0/24")))
        #expect(decision.outbound?.destination == .upstream)
        let branch = try #require(try forwardedBranch(decision))
        // Marker, key id 00, transaction hash, "-", loop-detection part.
        #expect(branch.hasPrefix("z9hG4bKsf00") && branch.count == 44 && Array(branch)[27] == "-")
        let token = try #require(
            Fixtures.text(decision.outbound?.bytes).firstMatch(of: /;sft=([A-Za-z0-9_-]+)>/).map { String($0.1) })
        #expect(
            Fixtures.text(decision.outbound?.bytes) == """
                INVITE sip:+14155550100@trunk.example.com SIP/2.0\r
                Via: SIP/2.0/UDP 127.0.0.1:5060;branch=\(branch);rport\r
                Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK776asdhds;rport=5062;received=192.0.2.10\r
                Record-Route: <sip:127.0.0.1:5060;lr;sft=\(token)>\r
                Max-Forwards: 69\r
                To: <sip:+14155550100@trunk.example.com>\r
                From: "Alice" <sip:alice@carrier.example.net>;tag=1928301774\r
                Call-ID: a84b4c76e66710@pc33.example.net\r
                CSeq: 314159 INVITE\r
                Contact: <sip:alice@192.0.2.10:5062>\r
                Content-Type: application/sdp\r
                Content-Length: 5\r
                \r
                v=0\r

                """)
        #expect(decide(Self.invite, from: Fixtures.allowed).outbound == decision.outbound, "forwarding is deterministic")
    }

    @Test("a CANCEL and the ACK of an error response get the INVITE's branch; a 2xx ACK gets its own")
    func branches() throws {
        let invite = try forwardedBranch(decide(Self.invite, from: Fixtures.allowed))
        let cancel = Self.invite.replacingOccurrences(of: "INVITE sip:", with: "CANCEL sip:")
            .replacingOccurrences(of: "CSeq: 314159 INVITE", with: "CSeq: 314159 CANCEL")
        let cancelDecision = decide(cancel, from: Fixtures.allowed)
        #expect(cancelDecision.verdict == .admitted)
        #expect(try forwardedBranch(cancelDecision) == invite)
        let errorACK = Self.invite.replacingOccurrences(of: "INVITE sip:", with: "ACK sip:")
            .replacingOccurrences(of: "CSeq: 314159 INVITE", with: "CSeq: 314159 ACK")
            .replacingOccurrences(of: "trunk.example.com>", with: "trunk.example.com>;tag=callee-486")
        #expect(try forwardedBranch(decide(errorACK, from: Fixtures.allowed)) == invite)
        let successACK = errorACK.replacingOccurrences(of: "z9hG4bK776asdhds", with: "z9hG4bKnew2xxack")
        let ackBranch = try forwardedBranch(decide(successACK, from: Fixtures.allowed))
        #expect(ackBranch != nil && ackBranch != invite)
        let refusedCancel = decide(cancel, from: Fixtures.refused)
        #expect(refusedCancel.verdict == .rejected && refusedCancel.statusCode == 403)
    }

    @Test("Max-Forwards is added as 70 when absent; Content-Length is added for stream next hops")
    func missingHeaders() throws {
        let text = Self.invite.replacingOccurrences(of: "Max-Forwards: 70\n", with: "")
            .replacingOccurrences(of: "Content-Length: 5\n", with: "")
        let forwarded = Fixtures.text(decide(text, from: Fixtures.allowed).outbound?.bytes)
        #expect(forwarded.contains("\r\nMax-Forwards: 70\r\n"))
        #expect(!forwarded.contains("Content-Length"))
        var settings = Fixtures.settings
        settings.upstream = try SIPEndpoint("tcp:127.0.0.1:5070")
        let overTCP = Fixtures.text(decide(text, from: Fixtures.allowed, pipeline: AdmissionPipeline(settings: settings)).outbound?.bytes)
        #expect(overTCP.contains("\r\nVia: SIP/2.0/TCP 127.0.0.1:5060;branch="))
        #expect(overTCP.contains("\r\nContent-Length: 5\r\n\r\nv=0\r\n"))
    }

    @Test("octets after Content-Length in a datagram are not forwarded")
    func trailingOctets() {
        let decision = decide(Self.invite + "INVITE sip:smuggled@example.com SIP/2.0\n\n", from: Fixtures.allowed)
        let forwarded = Fixtures.text(decision.outbound?.bytes)
        #expect(forwarded.hasSuffix("\r\n\r\nv=0\r\n"))
    }

    @Test("a Route naming sipfence is consumed")
    func routeToSelf() {
        let text = Self.invite.replacingOccurrences(of: "Max-Forwards: 70\n", with: "Max-Forwards: 70\nRoute: <sip:127.0.0.1:5060;lr>, <sip:core.example.net;lr>\n")
        let forwarded = Fixtures.text(decide(text, from: Fixtures.allowed).outbound?.bytes)
        #expect(forwarded.contains("\r\nRoute: <sip:core.example.net;lr>\r\n"))
        #expect(!forwarded.contains("Route: <sip:127.0.0.1:5060;lr>"))
    }

    @Test("requests from upstream are not checked and go where Route or Request-URI says")
    func fromUpstream() throws {
        let bye = """
            BYE sip:alice@192.0.2.10:5062 SIP/2.0
            Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKupstream1
            Max-Forwards: 69
            From: <sip:+14155550100@trunk.example.com>;tag=callee
            To: "Alice" <sip:alice@carrier.example.net>;tag=1928301774
            Call-ID: a84b4c76e66710@pc33.example.net
            CSeq: 2 BYE
            Content-Length: 0


            """
        let decision = decide(bye, from: Fixtures.fromUpstream)
        #expect(decision.verdict == .forwarded)
        #expect(decision.outbound?.destination == .nextHop(SIPNextHop(transport: .udp, host: "192.0.2.10", port: 5062, family: .ipv4)))
        let reinvite = bye.replacingOccurrences(of: "BYE", with: "INVITE").replacingOccurrences(of: "sip:alice@192.0.2.10:5062", with: "sip:alice@refused.example")
        let routed = decide(reinvite.replacingOccurrences(of: "Max-Forwards: 69\n", with: "Max-Forwards: 69\nRoute: <sip:198.51.100.1:5080;transport=tcp;lr>\n"), from: Fixtures.fromUpstream)
        #expect(routed.verdict == .forwarded)
        #expect(routed.outbound?.destination == .nextHop(SIPNextHop(transport: .tcp, host: "198.51.100.1", port: 5080, family: .ipv4)))
        let routedText = Fixtures.text(routed.outbound?.bytes)
        #expect(routedText.contains("\r\nVia: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKsf"))
        let sameFromElsewhere = decide(reinvite, from: Fixtures.udp("127.0.0.1", 5071))
        // Only the upstream's own address and port are trusted; anyone else needs a dialog
        // token or a source in some list for an in-dialog request.
        #expect(sameFromElsewhere.verdict == .rejected && sameFromElsewhere.reason == "in_dialog_no_token")
    }

    // MARK: Responses

    @Test("a response to a forwarded request is relayed to the client, our Via removed")
    func relay() throws {
        let forwarded = try SIPMessage(parsing: try #require(decide(Self.invite, from: Fixtures.allowed).outbound?.bytes), framing: .datagram)
        let ok = responseText(to: forwarded, status: "200 OK", extra: "Contact: <sip:callee@127.0.0.1:5080>\n")
        let decision = decide(ok, from: Fixtures.fromUpstream)
        #expect(decision.verdict == .relayed)
        #expect(decision.statusCode == 200)
        #expect(decision.outbound?.destination == .address(.udp, host: "192.0.2.10", port: 5062))
        #expect(
            Fixtures.text(decision.outbound?.bytes) == """
                SIP/2.0 200 OK\r
                Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK776asdhds;rport=5062;received=192.0.2.10\r
                From: "Alice" <sip:alice@carrier.example.net>;tag=1928301774\r
                To: <sip:+14155550100@trunk.example.com>;tag=callee\r
                Call-ID: a84b4c76e66710@pc33.example.net\r
                CSeq: 314159 INVITE\r
                Contact: <sip:callee@127.0.0.1:5080>\r
                Content-Length: 0\r
                \r

                """)
    }

    @Test("responses whose top Via is not ours, or is forged, are dropped")
    func noReflection() throws {
        let forwarded = try SIPMessage(parsing: try #require(decide(Self.invite, from: Fixtures.allowed).outbound?.bytes), framing: .datagram)
        let genuine = responseText(to: forwarded, status: "486 Busy Here")
        let forged = genuine.replacingOccurrences(of: "branch=z9hG4bKsf", with: "branch=z9hG4bKsf0")
        let stranger = genuine.replacingOccurrences(of: "127.0.0.1:5060;branch", with: "198.51.100.7:5060;branch")
        let ourOnly = genuine.replacingOccurrences(of: "\nVia: SIP/2.0/UDP 192.0.2.10", with: "\nX-Was-Via: SIP/2.0/UDP 192.0.2.10")
        #expect(decide(genuine, from: Fixtures.fromUpstream).verdict == .relayed)
        for text in [forged, stranger, ourOnly] {
            let decision = decide(text, from: Fixtures.fromUpstream)
            #expect(decision.verdict == .dropped)
            #expect(decision.outbound == nil)
        }
    }

    // MARK: Transports and families

    @Test("over TCP, answers and relayed responses use the request's connection")
    func tcpFlows() throws {
        let source = SIPSource(transport: .tcp, address: try IPAddress("203.0.113.9"), port: 40001, connection: SIPConnectionID(0xabc))
        let refused = Fixtures.pipeline.decide(Fixtures.message(Self.invite), from: source, policy: Fixtures.policy, now: Fixtures.now)
        #expect(refused.outbound?.destination == .connection(SIPConnectionID(0xabc)))

        let allowedSource = SIPSource(transport: .tcp, address: try IPAddress("192.0.2.10"), port: 40002, connection: SIPConnectionID(0x1f))
        let tcpInvite = Self.invite.replacingOccurrences(of: "SIP/2.0/UDP", with: "SIP/2.0/TCP")
        let admitted = Fixtures.pipeline.decide(Fixtures.message(tcpInvite), from: allowedSource, policy: Fixtures.policy, now: Fixtures.now)
        let forwardedBytes = try #require(admitted.outbound?.bytes)
        #expect(Fixtures.text(forwardedBytes).contains(";rport;sf-flow=t1f\r\n"))
        let forwarded = try SIPMessage(parsing: forwardedBytes, framing: .datagram)
        let relayed = decide(responseText(to: forwarded, status: "180 Ringing"), from: Fixtures.fromUpstream)
        #expect(relayed.verdict == .relayed)
        #expect(relayed.outbound?.destination == .connection(SIPConnectionID(0x1f)))

        let unframed = Fixtures.pipeline.decide(Fixtures.message(tcpInvite.replacingOccurrences(of: "Content-Length: 5\n", with: "")), from: allowedSource, policy: Fixtures.policy, now: Fixtures.now)
        #expect(unframed.verdict == .malformed && unframed.reason == "missing_content_length")
    }

    @Test("over UDP, answers and relayed responses leave from the socket the request came in on")
    func udpFlows() throws {
        var source = Fixtures.allowed
        source.connection = SIPConnectionID(3)
        let admitted = Fixtures.pipeline.decide(Fixtures.message(Self.invite), from: source, policy: Fixtures.policy, now: Fixtures.now)
        let forwardedBytes = try #require(admitted.outbound?.bytes)
        #expect(Fixtures.text(forwardedBytes).contains(";rport;sf-flow=u3\r\n"))
        let forwarded = try SIPMessage(parsing: forwardedBytes, framing: .datagram)
        let relayed = decide(responseText(to: forwarded, status: "180 Ringing"), from: Fixtures.fromUpstream)
        #expect(relayed.outbound?.destination == .address(.udp, host: "192.0.2.10", port: 5062, socket: SIPConnectionID(3)))
        var refusedSource = Fixtures.refused
        refusedSource.connection = SIPConnectionID(3)
        let refused = Fixtures.pipeline.decide(Fixtures.message(Self.invite), from: refusedSource, policy: Fixtures.policy, now: Fixtures.now)
        #expect(refused.outbound?.destination == .address(.udp, host: "203.0.113.9", port: 5062, socket: SIPConnectionID(3)))
    }

    @Test("IPv6 and IPv4-mapped sources are checked and stamped correctly")
    func ipv6() throws {
        let v6Invite = Self.invite.replacingOccurrences(of: "192.0.2.10:5062", with: "[2001:db8::10]:5062")
        let admitted = decide(v6Invite, from: Fixtures.udp("2001:db8::10", 5062))
        #expect(admitted.verdict == .admitted)
        let forwarded = Fixtures.text(admitted.outbound?.bytes)
        #expect(forwarded.contains("\r\nVia: SIP/2.0/UDP [2001:db8::10]:5062;branch=z9hG4bK776asdhds;rport=5062;received=2001:db8::10\r\n"))
        let refused = decide(v6Invite, from: Fixtures.udp("2001:db9::10", 5062))
        #expect(refused.verdict == .rejected)
        #expect(refused.outbound?.destination == .address(.udp, host: "2001:db9::10", port: 5062))
        let mapped = decide(Self.invite, from: Fixtures.udp("::ffff:192.0.2.10", 5062))
        #expect(mapped.verdict == .admitted)
    }

    // MARK: Helpers

    func decision(_ decision: AdmissionDecision, isForwardedUpstream: Bool) -> Bool {
        (decision.verdict == .forwarded && decision.outbound?.destination == .upstream) == isForwardedUpstream
    }

    /// The branch of the Via sipfence pushed on a forwarded request.
    func forwardedBranch(_ decision: AdmissionDecision) throws -> String? {
        guard let bytes = decision.outbound?.bytes else { return nil }
        return try SIPMessage(parsing: bytes, framing: .datagram).topVia.branch
    }

    /// A response from the upstream to `request`, with all its Via values copied.
    func responseText(to request: SIPMessage, status: String, extra: String = "") -> String {
        let vias = request.fields(.via).map { "Via: \(request.value(of: $0))\n" }.joined()
        return """
            SIP/2.0 \(status)
            \(vias)From: "Alice" <sip:alice@carrier.example.net>;tag=1928301774
            To: <sip:+14155550100@trunk.example.com>;tag=callee
            Call-ID: a84b4c76e66710@pc33.example.net
            CSeq: 314159 INVITE
            \(extra)Content-Length: 0


            """
    }
}
