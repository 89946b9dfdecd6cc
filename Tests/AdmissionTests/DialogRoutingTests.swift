import AccessControl
import Admission
import SIPCore
import Testing

/// sipfence in front of a private proxy: Record-Route and Path, dialog tokens, in-dialog
/// admission, routing both ways, loose and strict routing, loops, and sockets per side.
@Suite("Dialog routing")
struct DialogRoutingTests {
    static let keyring = SIPKeyring(hex: "00112233445566778899aabbccddeeff")!

    static func interface(_ text: String, _ side: SIPInterface.Side, host: String? = nil) -> SIPInterface {
        let endpoint = try! SIPEndpoint(text)
        return SIPInterface(endpoint: endpoint, advertisedHost: host ?? endpoint.address.description, side: side)
    }

    static let outsideUDP = interface("udp:203.0.113.1:5060", .callers)
    static let outsideTCP = interface("tcp:203.0.113.1:5060", .callers)
    static let outsideUDP6 = interface("udp:[2001:db8:1::1]:5060", .callers)
    static let insideUDP = interface("udp:10.0.0.1:5060", .upstream)
    static let insideTCP = interface("tcp:10.0.0.1:5060", .upstream)

    /// Two sides: callers on 203.0.113.1 / 2001:db8:1::1, the upstream 10.0.0.2 behind 10.0.0.1.
    static func settings(upstream: String = "udp:10.0.0.2:5060", checkedMethods: Set<String> = ["*"]) -> AdmissionSettings {
        AdmissionSettings(
            upstream: try! SIPEndpoint(upstream),
            interfaces: [outsideUDP, outsideTCP, outsideUDP6, insideUDP, insideTCP],
            checkedMethods: checkedMethods,
            dialogTokenMaxAge: 3_600,
            secret: keyring.statelessSecret,
            digest: DigestSettings(keyring: keyring))
    }

    static let pipeline = AdmissionPipeline(settings: settings())

    static func caller(_ address: String = "192.0.2.10", port: Int = 5062, on interface: SIPInterface = outsideUDP) -> SIPSource {
        SIPSource(transport: interface.transport, address: try! IPAddress(address), port: port, connection: SIPConnectionID(7), interface: interface.endpoint)
    }

    static let upstream = SIPSource(transport: .udp, address: try! IPAddress("10.0.0.2"), port: 5060, interface: insideUDP.endpoint)

    static func request(
        _ method: String = "INVITE", uri: String = "sip:+14155550100@example.com", toTag: String? = nil, callID: String = "dialog-1@pc33",
        routes: [String] = [], via: String = "SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK776asdhds;rport", extra: String = ""
    ) -> String {
        """
        \(method) \(uri) SIP/2.0
        Via: \(via)
        Max-Forwards: 70
        \(routes.map { "Route: <\($0)>\n" }.joined())To: <sip:+14155550100@example.com>\(toTag.map { ";tag=\($0)" } ?? "")
        From: "Alice" <sip:alice@carrier.example.net>;tag=1928301774
        Call-ID: \(callID)
        CSeq: 314159 \(method)
        Contact: <sip:alice@192.0.2.10:5062>
        \(extra)Content-Length: 0


        """
    }

    static func decide(
        _ text: String, from source: SIPSource, pipeline: AdmissionPipeline = pipeline, policy: Policy = Fixtures.policy,
        now: UInt64 = Fixtures.now
    ) -> AdmissionDecision {
        pipeline.decide(Fixtures.message(text), from: source, policy: policy, now: now)
    }

    static func lines(_ name: String, in decision: AdmissionDecision) -> [String] {
        Fixtures.text(decision.outbound?.bytes).split(separator: "\r\n").filter { $0.hasPrefix("\(name): ") }
            .map { String($0.dropFirst(name.count + 2)) }
    }

    /// A policy admitting calls to example.com from anywhere: how a digest-authenticated
    /// caller's INVITE got through, for the tests of what follows in its dialog.
    static let openPolicy = Policy(
        generation: 1, lists: [AccessList(id: "AL9", name: "anywhere", prefixes: [try! IPPrefix("0.0.0.0/0"), try! IPPrefix("::/0")])],
        mappings: [DomainName(normalizing: "example.com"): ["AL9"]])

    /// The Record-Route values an admitted INVITE left with, as the callee's route set.
    static func recordRoutes(from source: SIPSource = caller(), callID: String = "dialog-1@pc33") -> [String] {
        let decision = decide(request(callID: callID), from: source, policy: openPolicy)
        return lines("Record-Route", in: decision).map { String($0.dropFirst().dropLast()) }
    }

    // MARK: Record-Route and Path

    @Test("the sides differ: two Record-Route values, the upstream's on top, the token on the callers' one")
    func doubleRecordRoute() throws {
        let decision = Self.decide(Self.request(), from: Self.caller())
        #expect(decision.verdict == .admitted && decision.outbound?.destination == .upstream)
        let values = Self.lines("Record-Route", in: decision)
        #expect(values.count == 2)
        #expect(values.first == "<sip:10.0.0.1:5060;lr>")
        #expect(values.last?.hasPrefix("<sip:203.0.113.1:5060;lr;sft=") == true)
        #expect(Self.lines("Via", in: decision).first?.hasPrefix("SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKsf") == true)
    }

    @Test("a retransmitted INVITE is forwarded with the same bytes a second or a minute later (found by the soak)")
    func retransmissionForwardedIdentically() throws {
        // Before: the token carried its issue second, so a retransmission that crossed a
        // second got a new Record-Route, and sipp's UAS took it for a new request.
        let first = Self.decide(Self.request(), from: Self.caller(), now: Fixtures.now + 10)
        for delay: UInt64 in [1, 4, 32, 60] {
            let again = Self.decide(Self.request(), from: Self.caller(), now: Fixtures.now + 10 + delay)
            #expect(again.outbound?.bytes == first.outbound?.bytes, "\(delay) s later")
        }
        #expect(DialogToken.issueTime(now: 1_000_123, maximumAge: 86_400) == 997_200)
        #expect(DialogToken.issueTime(now: 1_000_123, maximumAge: 60) == 1_000_122)
    }

    @Test("TCP and IPv6 callers get their own transport and family in the callers' Record-Route")
    func recordRouteShapes() throws {
        let tcp = Self.lines("Record-Route", in: Self.decide(Self.request(), from: Self.caller(on: Self.outsideTCP)))
        #expect(tcp.last?.hasPrefix("<sip:203.0.113.1:5060;transport=tcp;lr;sft=") == true)
        let v6 = Self.lines("Record-Route", in: Self.decide(Self.request(), from: Self.caller("2001:db8::10", on: Self.outsideUDP6)))
        #expect(v6.first == "<sip:10.0.0.1:5060;lr>")
        #expect(v6.last?.hasPrefix("<sip:[2001:db8:1::1]:5060;lr;sft=") == true)
        // One shared socket: one value (the fixtures' daemon listens on 127.0.0.1:5060 for both sides).
        let shared = Self.lines("Record-Route", in: Fixtures.pipeline.decide(Fixtures.message(Self.request()), from: Fixtures.allowed, policy: Fixtures.policy, now: Fixtures.now))
        #expect(shared.count == 1 && shared[0].hasPrefix("<sip:127.0.0.1:5060;lr;sft="))
        // sip.advertised_host names the callers' side.
        var settings = Self.settings()
        settings.interfaces[0].advertisedHost = "edge.example.com"
        let named = Self.lines("Record-Route", in: Self.decide(Self.request(), from: Self.caller(), pipeline: AdmissionPipeline(settings: settings)))
        #expect(named.last?.hasPrefix("<sip:edge.example.com:5060;lr;sft=") == true)
    }

    @Test("only dialog-creating requests are record-routed", arguments: ["OPTIONS", "MESSAGE", "SUBSCRIBE", "REFER", "INVITE"])
    func whichRequests(method: String) {
        let decision = Self.decide(Self.request(method), from: Self.caller())
        #expect(decision.outbound?.destination == .upstream)
        let expected = ["INVITE", "SUBSCRIBE", "REFER"].contains(method) ? 2 : 0
        #expect(Self.lines("Record-Route", in: decision).count == expected)
    }

    // MARK: In-dialog admission

    @Test("an in-dialog request with the token from the caller's address is forwarded, even from outside every list")
    func tokenAdmits() throws {
        // A digest-authenticated caller from an unknown network placed the call.
        let stranger = Self.caller("198.51.100.77", port: 40_000)
        let routeSet = Self.recordRoutes(from: stranger).reversed().map { $0 }
        for method in ["ACK", "BYE", "INVITE"] {
            let decision = Self.decide(
                Self.request(method, uri: "sip:callee@10.0.0.9:5080", toTag: "callee-1", routes: routeSet), from: stranger)
            #expect(decision.verdict == .forwarded && decision.reason == "dialog_token", "\(method): \(decision.reason)")
            #expect(decision.outbound?.destination == .upstream)
            // Both of sipfence's Route values are consumed; a re-INVITE is not record-routed again.
            #expect(Self.lines("Route", in: decision).isEmpty)
            #expect(Self.lines("Record-Route", in: decision).isEmpty)
            #expect(Self.lines("Proxy-Authenticate", in: decision).isEmpty)
        }
    }

    @Test("without a valid token, in-dialog requests are judged by their source")
    func tokenRefusals() throws {
        let stranger = Self.caller("198.51.100.77", port: 40_000)
        let routeSet = Self.recordRoutes(from: stranger).reversed().map { $0 }
        func bye(_ routes: [String], callID: String = "dialog-1@pc33", from source: SIPSource, now: UInt64 = Fixtures.now) -> AdmissionDecision {
            Self.decide(Self.request("BYE", uri: "sip:callee@10.0.0.9:5080", toTag: "callee-1", callID: callID, routes: routes), from: source, now: now)
        }
        // Another source, another dialog, a forged token, an expired one, none at all.
        #expect(bye(routeSet, from: Self.caller("198.51.100.78")).reason == "dialog_token_other_source")
        #expect(bye(routeSet, callID: "dialog-2@pc33", from: stranger).reason == "dialog_token_invalid")
        // One character of the MAC changed: the token keeps its shape but no longer verifies.
        let forged = routeSet.map { route in
            guard let last = route.last, route.contains("sft=") else { return route }
            return String(route.dropLast()) + (last == "A" ? "B" : "A")
        }
        #expect(forged != routeSet)
        #expect(bye(forged, from: stranger).reason == "dialog_token_invalid")
        #expect(bye(routeSet, from: stranger, now: Fixtures.now + 3_601).reason == "dialog_token_expired")
        let none = bye([], from: stranger)
        #expect(none.verdict == .rejected && none.reason == "in_dialog_no_token" && none.statusCode == 403)
        // An ACK is never answered: dropped, and counted as rejected.
        let ack = Self.decide(Self.request("ACK", uri: "sip:callee@10.0.0.9:5080", toTag: "callee-1"), from: stranger)
        #expect(ack.verdict == .rejected && ack.outbound == nil)
        // A source inside some mapped list keeps working without a token.
        let trusted = bye([], from: Self.caller("192.0.2.10"))
        #expect(trusted.verdict == .forwarded && trusted.reason == "in_dialog_source_in_list")
    }

    @Test("a token re-INVITE to a digest domain needs no new challenge")
    func tokenSkipsDigest() throws {
        let settings = Self.settings()
        let pipeline = AdmissionPipeline(settings: settings)
        let stranger = Self.caller("198.51.100.77", port: 40_000)
        // The call was authenticated; here only its token matters.
        let invite = DialogRoutingTests.request(uri: "sip:+14155550100@digest.example.com")
        let first = pipeline.decide(Fixtures.message(invite), from: stranger, policy: DigestAdmissionTests.policy, now: Fixtures.now)
        #expect(first.verdict == .challenged)
        let token = DialogToken.mint(
            flow: SIPFlow(transport: .udp, local: Self.outsideUDP.endpoint, remoteAddress: stranger.address, remotePort: stranger.port),
            callID: "dialog-1@pc33", initiatorTag: "1928301774", now: Fixtures.now, keyring: Self.keyring)
        let reinvite = Self.request(
            uri: "sip:callee@10.0.0.9:5080", toTag: "callee-1", routes: ["sip:203.0.113.1:5060;lr;sft=\(token)", "sip:10.0.0.1:5060;lr"])
        let decision = pipeline.decide(Fixtures.message(reinvite), from: stranger, policy: DigestAdmissionTests.policy, now: Fixtures.now + 60)
        #expect(decision.verdict == .forwarded && decision.reason == "dialog_token")
    }

    // MARK: Requests from the upstream

    @Test("a request from the upstream through sipfence's Route goes back over the caller's flow")
    func backOverTheFlow() throws {
        let source = Self.caller("198.51.100.77", port: 40_000)
        let routeSet = Self.recordRoutes(from: source)  // the callee's route set: top first
        let bye = Self.request(
            "BYE", uri: "sip:alice@192.168.1.20:5062", toTag: "1928301774", routes: routeSet,
            via: "SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKkam1")
            .replacingOccurrences(of: "From: \"Alice\" <sip:alice@carrier.example.net>;tag=1928301774", with: "From: <sip:callee@example.com>;tag=callee-1")
        let decision = Self.decide(bye, from: Self.upstream)
        #expect(decision.verdict == .forwarded)
        let flow = SIPFlow(transport: .udp, local: Self.outsideUDP.endpoint, remoteAddress: source.address, remotePort: 40_000)
        guard case .flow(let sentOver, let otherwise) = decision.outbound?.destination else {
            Issue.record("not sent over a flow: \(String(describing: decision.outbound?.destination))")
            return
        }
        #expect(sentOver == flow)
        #expect(otherwise?.host == "192.168.1.20")
        #expect(Self.lines("Via", in: decision).first?.hasPrefix("SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bKsf") == true)
        #expect(Self.lines("Route", in: decision).isEmpty)
        // The same request from the upstream's address on a callers' socket is not the upstream's.
        let outside = SIPSource(transport: .udp, address: try IPAddress("10.0.0.2"), port: 5060, interface: Self.outsideUDP.endpoint)
        let posing = Self.decide(bye, from: outside)
        #expect(posing.verdict == .rejected && posing.reason == "dialog_token_other_source")
    }

    @Test("a strict-routing upstream: the Request-URI that is sipfence's Record-Route is replaced by the last Route")
    func strictRouting() throws {
        let routeSet = Self.recordRoutes()
        let bye = Self.request(
            "BYE", uri: routeSet[0], toTag: "1928301774", routes: [routeSet[1], "sip:alice@192.0.2.10:5062"],
            via: "SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKkam2")
            .replacingOccurrences(of: "From: \"Alice\" <sip:alice@carrier.example.net>;tag=1928301774", with: "From: <sip:callee@example.com>;tag=callee-1")
        let decision = Self.decide(bye, from: Self.upstream)
        let text = Fixtures.text(decision.outbound?.bytes)
        #expect(text.hasPrefix("BYE sip:alice@192.0.2.10:5062 SIP/2.0\r\n"), "\(text)")
        #expect(Self.lines("Route", in: decision).isEmpty)
        guard case .flow = decision.outbound?.destination else {
            Issue.record("the token's flow is not used: \(String(describing: decision.outbound?.destination))")
            return
        }
    }

    @Test("an upstream request to a host name is located, one to sips gets 503")
    func nextHops() throws {
        let options = Self.request("OPTIONS", uri: "sip:alice@phones.example.net", toTag: nil, via: "SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKkam3")
        let decision = Self.decide(options, from: Self.upstream)
        #expect(decision.outbound?.destination == .nextHop(SIPNextHop(transport: .udp, host: "phones.example.net", port: nil, family: .ipv4)))
        let secure = Self.decide(options.replacingOccurrences(of: "sip:alice@phones", with: "sips:alice@phones"), from: Self.upstream)
        #expect(secure.statusCode == 503 && secure.reason == "unsupported_transport")
        // An INVITE from the upstream to a caller is record-routed too, the token naming where it goes.
        let invite = Self.request("INVITE", uri: "sip:alice@192.0.2.10:5062", via: "SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKkam4")
        let values = Self.lines("Record-Route", in: Self.decide(invite, from: Self.upstream))
        #expect(values.count == 2 && values[0].hasPrefix("<sip:203.0.113.1:5060;lr;sft=") && values[1] == "<sip:10.0.0.1:5060;lr>")
    }

    // MARK: Methods, loops, failures

    @Test("every out-of-dialog method is judged by the domain by default; [INVITE] lets others through")
    func checkedMethods() {
        let scanner = Self.caller("198.51.100.66")
        for method in ["OPTIONS", "MESSAGE", "SUBSCRIBE"] {
            #expect(Self.decide(Self.request(method), from: scanner).statusCode == 403, "\(method)")
            let lax = AdmissionPipeline(settings: Self.settings(checkedMethods: ["INVITE"]))
            #expect(Self.decide(Self.request(method), from: scanner, pipeline: lax).verdict == .forwarded, "\(method)")
        }
    }

    @Test("a request that comes back unchanged gets 482; a spiral is forwarded")
    func loops() throws {
        let first = Self.decide(Self.request("OPTIONS"), from: Self.caller())
        // The upstream sends it straight back, our Via and all.
        let looped = Fixtures.text(first.outbound?.bytes).replacingOccurrences(of: "\r\n", with: "\n")
        let viaAdded = looped.replacingOccurrences(of: "OPTIONS sip:+14155550100@example.com SIP/2.0\n", with: "OPTIONS sip:+14155550100@example.com SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKkam5\n")
        let again = Self.decide(viaAdded, from: Self.caller("192.0.2.11"))
        #expect(again.verdict == .loopDetected && again.statusCode == 482)
        let spiral = viaAdded.replacingOccurrences(of: "OPTIONS sip:+14155550100@example.com SIP/2.0", with: "OPTIONS sip:+14155550199@example.com SIP/2.0")
        #expect(Self.decide(spiral, from: Self.caller("192.0.2.11")).verdict == .admitted)
    }

    @Test("an admitted request that cannot be sent is answered with 503; an ACK is not")
    func serviceUnavailable() throws {
        let answer = Self.pipeline.serviceUnavailable(Fixtures.message(Self.request()), from: Self.caller(), reason: "no_socket")
        #expect(answer.statusCode == 503 && answer.reason == "no_socket" && answer.method == "INVITE")
        let sent = Fixtures.text(answer.outbound?.bytes)
        #expect(sent.hasPrefix("SIP/2.0 503 Service Unavailable\r\n"))
        let ack = Self.pipeline.serviceUnavailable(Fixtures.message(Self.request("ACK", toTag: "x")), from: Self.caller(), reason: "no_socket")
        #expect(ack.outbound == nil)
    }

    @Test("the upstream socket is one of the upstream's transport and family")
    func upstreamInterface() throws {
        #expect(Self.settings().upstreamInterface == Self.insideUDP)
        #expect(Self.settings(upstream: "tcp:10.0.0.2:5060").upstreamInterface == Self.insideTCP)
        #expect(Self.settings(upstream: "udp:[2001:db8:2::2]:5060").upstreamInterface == nil)
        var dualStack = Self.settings(upstream: "udp:10.0.0.2:5060")
        dualStack.interfaces = [Self.interface("udp:[::]:5060", .both, host: "10.0.0.1")]
        #expect(dualStack.upstreamInterface?.advertisedHost == "10.0.0.1")
    }
}
