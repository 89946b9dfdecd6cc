import AccessControl
import Admission
import Foundation
import SIPCore

/// Seed messages that only sipfence's own keys can make: digest credentials answering
/// a nonce minted at ``FuzzFixtures/now``, dialog tokens in Record-Route and Route, and
/// responses under a Via sipfence signed. A fuzzer cannot forge an HMAC, so without these
/// seeds the code behind every MAC check would stay unreached.
///
/// They are made by running the pipeline itself (an INVITE is challenged, the challenge
/// answered; an INVITE is forwarded, its Record-Route reused), so they stay valid as
/// long as ``FuzzFixtures`` keeps its keys and clock. Each seed is a message and the
/// source kind and transport it is meant to arrive from.
public enum FuzzSeeds {
    /// One seed message.
    public struct Seed: Sendable {
        /// A file name for it.
        public var name: String
        /// Who sends it.
        public var source: FuzzFixtures.SourceKind
        /// Whether it arrives over TCP.
        public var tcp: Bool
        /// The message.
        public var bytes: [UInt8]
    }

    /// Every seed: digest-authenticated INVITE and REGISTER (MD5 and SHA-256), in-dialog
    /// requests carrying a dialog token from the caller and from the upstream, and
    /// responses relayed back through sipfence.
    public static func all() -> [Seed] {
        var seeds: [Seed] = []
        let pipeline = FuzzFixtures.pipelines[0]

        func decide(_ bytes: [UInt8], _ kind: FuzzFixtures.SourceKind, tcp: Bool) -> AdmissionDecision {
            let source = FuzzFixtures.source(kind, transport: tcp ? .tcp : .udp)
            return pipeline.decide(bytes, from: source, policy: FuzzFixtures.policy, now: FuzzFixtures.now)
        }
        /// Adds a seed after checking that it reaches what it was made for.
        func add(
            _ name: String, _ kind: FuzzFixtures.SourceKind, tcp: Bool = false, _ text: String,
            expecting expected: (AdmissionDecision) -> Bool
        ) {
            let bytes = message(text)
            let decision = decide(bytes, kind, tcp: tcp)
            precondition(expected(decision), "seed \(name): \(decision.verdict) \(decision.reason)")
            seeds.append(Seed(name: name, source: kind, tcp: tcp, bytes: bytes))
        }
        let admitted = { (decision: AdmissionDecision) in decision.verdict == .admitted && decision.username != nil }

        // Digest: challenge, then answer the challenge for each algorithm, and without qop
        // (RFC 2069) over TCP. both.example.com wants the carriers list too: a listed caller.
        var authenticatedInvite = ""
        let digestCases: [(String, String, String, FuzzFixtures.SourceKind)] = [
            ("INVITE", "digest.example.com", "alice", .stranger), ("REGISTER", "reg.example.com", "bob", .stranger),
            ("INVITE", "both.example.com", "alice", .listedCaller),
        ]
        for (method, domain, user, kind) in digestCases {
            let uri = "sip:+14155550100@\(domain)"
            let challenge = decide(message(request(method, uri: uri)), kind, tcp: false)
            guard let nonce = value("nonce", in: text(challenge.outbound?.bytes)) else {
                preconditionFailure("no challenge for \(method) \(domain): \(challenge.reason)")
            }
            let name = "digest-\(method.lowercased())-\(domain.prefix { $0 != "." })"
            for algorithm in [DigestAlgorithm.md5, .sha256] {
                let credentials = answer(nonce: nonce, username: user, algorithm: algorithm, method: method, uri: uri)
                let text = request(method, uri: uri, extra: "Proxy-Authorization: \(credentials)\n")
                add("\(name)-\(algorithm.rawValue.lowercased())", kind, text, expecting: admitted)
                if domain == "digest.example.com" && algorithm == .md5 { authenticatedInvite = text }
            }
            let ha1 = DigestAlgorithm.md5.ha1(username: user, realm: FuzzFixtures.realm, password: FuzzFixtures.password)
            let response = DigestAlgorithm.md5.requestDigest(ha1: ha1, nonce: nonce, method: method, digestURI: uri, qop: .rfc2069)
            let legacy =
                "Digest username=\"\(user)\", realm=\"\(FuzzFixtures.realm)\", nonce=\"\(nonce)\", uri=\"\(uri)\", response=\"\(response)\""
            add("\(name)-rfc2069", kind, tcp: true, request(method, uri: uri, extra: "Proxy-Authorization: \(legacy)\n"), expecting: admitted)
        }

        // Dialog tokens: an INVITE from a listed caller (admitted by its address) and one
        // from a stranger (admitted by its credentials) are forwarded and record-routed.
        let calls: [(String, FuzzFixtures.SourceKind, String)] = [
            ("caller", .listedCaller, request("INVITE", uri: "sip:+14155550100@example.com")),
            ("stranger", .stranger, authenticatedInvite),
        ]
        for tcp in [false, true] {
            let suffix = tcp ? "tcp" : "udp"
            for (who, kind, invite) in calls {
                let forwarded = decide(message(invite), kind, tcp: tcp)
                let sent = text(forwarded.outbound?.bytes)
                let recordRoutes = lines("Record-Route", in: sent).map { String($0.dropFirst().dropLast()) }
                guard recordRoutes.count == 2 else { preconditionFailure("expected two Record-Route values: \(sent)") }
                let contact = kind == .stranger ? "sip:alice@198.51.100.77:40000" : "sip:alice@192.0.2.10:5062"

                // The caller's BYE, re-INVITE and ACK: its route set is the Record-Route reversed.
                for method in ["BYE", "INVITE", "ACK"] {
                    let text = request(method, uri: "sip:callee@10.0.0.9:5080", toTag: "callee-1", routes: recordRoutes.reversed())
                    add("token-\(who)-\(method.lowercased())-\(suffix)", kind, tcp: tcp, text) { $0.reason == "dialog_token" }
                }
                // The callee's BYE through the upstream: the route set top first, back over the flow.
                let bye = request(
                    "BYE", uri: contact, toTag: "1928301774", routes: recordRoutes,
                    via: "SIP/2.0/\(tcp ? "TCP" : "UDP") 10.0.0.2:5060;branch=z9hG4bKkam1", from: "<sip:callee@example.com>;tag=callee-1")
                add("token-upstream-bye-\(who)-\(suffix)", .upstream, tcp: tcp, bye) {
                    if case .flow = $0.outbound?.destination { return true } else { return false }
                }
                // A strict-routing upstream: sipfence's Record-Route is the Request-URI.
                let strict = request(
                    "BYE", uri: recordRoutes[0], toTag: "1928301774", routes: [recordRoutes[1], contact],
                    via: "SIP/2.0/\(tcp ? "TCP" : "UDP") 10.0.0.2:5060;branch=z9hG4bKkam2", from: "<sip:callee@example.com>;tag=callee-1")
                add("token-upstream-strict-\(who)-\(suffix)", .upstream, tcp: tcp, strict) {
                    if case .flow = $0.outbound?.destination { return true } else { return false }
                }
                guard kind == .listedCaller else { continue }

                // The upstream's responses to the forwarded INVITE: sipfence's Via on top.
                let vias = lines("Via", in: sent)
                for (status, toTag) in [("100 Trying", ""), ("180 Ringing", ";tag=callee-1"), ("200 OK", ";tag=callee-1"), ("486 Busy Here", ";tag=callee-1")] {
                    let recordRoute = status.hasPrefix("200") ? recordRoutes.map { "Record-Route: <\($0)>\n" }.joined() : ""
                    let response = """
                        SIP/2.0 \(status)
                        \(vias.map { "Via: \($0)\n" }.joined())\(recordRoute)To: <sip:+14155550100@example.com>\(toTag)
                        From: "Alice" <sip:alice@carrier.example.net>;tag=1928301774
                        Call-ID: dialog-1@pc33
                        CSeq: 314159 INVITE
                        Contact: <sip:callee@10.0.0.9:5080>
                        Content-Length: 0


                        """
                    add("response-\(status.prefix(3))-\(suffix)", .upstream, tcp: tcp, response) { $0.verdict == .relayed }
                }
            }
        }

        // The ACK of sipfence's own 403: absorbed.
        let refused = decide(message(request("INVITE", uri: "sip:+14155550100@closed.example.com")), .stranger, tcp: false)
        guard let toTag = lines("To", in: text(refused.outbound?.bytes)).first.flatMap({ value("tag", in: $0) }) else {
            preconditionFailure("no To-tag in the 403: \(text(refused.outbound?.bytes))")
        }
        let ack = request("ACK", uri: "sip:+14155550100@closed.example.com", toTag: toTag)
        add("ack-of-403", .stranger, ack) { $0.verdict == .absorbed }

        // A request that comes back with sipfence's Via: a loop.
        let options = decide(message(request("OPTIONS", uri: "sip:+14155550100@example.com")), .listedCaller, tcp: false)
        let looped = text(options.outbound?.bytes).replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(
            of: "SIP/2.0\n", with: "SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKkam5\n")
        add("loop-options", .listedCaller, looped) { $0.verdict == .loopDetected }
        return seeds
    }

    // MARK: Messages

    /// A request in the shape the unit tests use.
    static func request(
        _ method: String, uri: String, toTag: String? = nil, routes: [String] = [],
        via: String = "SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK776asdhds;rport",
        from: String = "\"Alice\" <sip:alice@carrier.example.net>;tag=1928301774", extra: String = ""
    ) -> String {
        """
        \(method) \(uri) SIP/2.0
        Via: \(via)
        Max-Forwards: 70
        \(routes.map { "Route: <\($0)>\n" }.joined())To: <sip:+14155550100@example.com>\(toTag.map { ";tag=\($0)" } ?? "")
        From: \(from)
        Call-ID: dialog-1@pc33
        CSeq: 314159 \(method)
        Contact: <sip:alice@192.0.2.10:5062>
        \(extra)Content-Length: 0


        """
    }

    /// `Proxy-Authorization` credentials answering `nonce` as a user agent would.
    static func answer(nonce: String, username: String, algorithm: DigestAlgorithm, method: String, uri: String) -> String {
        let ha1 = algorithm.ha1(username: username, realm: FuzzFixtures.realm, password: FuzzFixtures.password)
        let response = algorithm.requestDigest(
            ha1: ha1, nonce: nonce, method: method, digestURI: uri, qop: .auth(nc: "00000001", cnonce: "0a4f113b"))
        return "Digest username=\"\(username)\", realm=\"\(FuzzFixtures.realm)\", nonce=\"\(nonce)\", uri=\"\(uri)\", "
            + "response=\"\(response)\", algorithm=\(algorithm.rawValue), qop=auth, nc=00000001, cnonce=\"0a4f113b\""
    }

    /// A message written with `\n` line ends, sent with CRLF.
    static func message(_ text: String) -> [UInt8] {
        Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)
    }

    static func text(_ bytes: [UInt8]?) -> String {
        bytes.map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// The values of the header lines `name` in `text`.
    static func lines(_ name: String, in text: String) -> [String] {
        text.components(separatedBy: "\r\n").filter { $0.hasPrefix("\(name): ") }.map { String($0.dropFirst(name.count + 2)) }
    }

    /// The value of the first `name=` parameter in `text`, unquoted.
    static func value(_ name: String, in text: String) -> String? {
        guard let range = text.range(of: "\(name)=") else { return nil }
        let rest = text[range.upperBound...]
        if rest.first == "\"" { return String(rest.dropFirst().prefix { $0 != "\"" }) }
        return String(rest.prefix { $0 != "," && $0 != ";" && $0 != " " && $0 != ">" && $0 != "\r" })
    }
}
