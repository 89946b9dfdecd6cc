import AccessControl
import Admission
import SIPCore
import Testing

/// Digest authentication on the SIP path: domains with credential lists mapped challenge
/// with 407, admit valid credentials, refuse wrong ones, and compose with the IP rule.
@Suite("Digest admission")
struct DigestAdmissionTests {
    static let realm = "sipfence"
    static let password = "Correct-Horse-42"
    static let keyring = SIPKeyring.random()

    static func credential(_ username: String, password: String = password, list: String) -> DigestCredentialSet.Credential {
        DigestCredentialSet.Credential(
            listID: list, realm: realm,
            ha1: Dictionary(uniqueKeysWithValues: DigestAlgorithm.allCases.map {
                ($0, $0.ha1(username: username, realm: realm, password: password))
            }))
    }

    /// digest.example.com: credentials only. both.example.com: 192.0.2.0/24 and
    /// credentials. reg.example.com: registrations with credentials. noreg.example.com:
    /// registration credentials, but registrations off. ip.example.com: IP only.
    static let policy: Policy = {
        let carriers = AccessList(id: "AL1", name: "carriers", prefixes: [try! IPPrefix("192.0.2.0/24")])
        let phones = DigestCredentialList(id: "CL1", name: "phones", credentials: ["alice": credential("alice", list: "CL1")])
        let registrars = DigestCredentialList(id: "CL2", name: "registrations", credentials: ["bob": credential("bob", list: "CL2")])
        func domain(_ name: String) -> DomainName { DomainName(normalizing: name) }
        return Policy(
            generation: 7, lists: [carriers],
            mappings: [
                domain("digest.example.com"): [], domain("both.example.com"): ["AL1"], domain("reg.example.com"): [],
                domain("noreg.example.com"): [], domain("ip.example.com"): ["AL1"],
            ],
            credentialLists: [phones, registrars],
            authentication: [
                domain("digest.example.com"): .init(callCredentialLists: ["CL1"]),
                domain("both.example.com"): .init(callCredentialLists: ["CL1"]),
                domain("reg.example.com"): .init(registrationCredentialLists: ["CL2"], acceptsRegistrations: true),
                domain("noreg.example.com"): .init(registrationCredentialLists: ["CL2"]),
            ])
    }()

    static func pipeline(mode: DigestSettings.Mode = .all, algorithms: [DigestAlgorithm] = [.md5, .sha256]) -> AdmissionPipeline {
        var settings = Fixtures.settings
        settings.digest = DigestSettings(realm: realm, algorithms: algorithms, nonceLifetime: 300, mode: mode, keyring: keyring)
        return AdmissionPipeline(settings: settings)
    }

    static func request(
        _ method: String = "INVITE", domain: String = "digest.example.com", callID: String = "digest-1@pc33.example.net",
        authorization: [String] = []
    ) -> String {
        let uri = "sip:+14155550100@\(domain)"
        return """
            \(method) \(uri) SIP/2.0
            Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK776asdhds;rport
            Max-Forwards: 70
            To: <\(uri)>
            From: "Alice" <sip:alice@carrier.example.net>;tag=1928301774
            Call-ID: \(callID)
            CSeq: 314159 \(method)
            Contact: <sip:alice@192.0.2.10:5062>
            \(authorization.map { "Proxy-Authorization: \($0)\n" }.joined())Content-Length: 0


            """
    }

    static func decide(
        _ text: String, from source: SIPSource = Fixtures.refused, pipeline: AdmissionPipeline = pipeline(),
        now: UInt64 = Fixtures.now
    ) -> AdmissionDecision {
        pipeline.decide(Fixtures.message(text), from: source, policy: policy, now: now)
    }

    /// The challenges of a 407, parsed back from its Proxy-Authenticate headers.
    static func challenges(in decision: AdmissionDecision) throws -> [(algorithm: String, nonce: String, stale: Bool)] {
        let text = Fixtures.text(decision.outbound?.bytes)
        return text.split(separator: "\r\n").filter { $0.hasPrefix("Proxy-Authenticate: ") }.compactMap { line in
            func value(_ name: String) -> String? {
                guard let range = line.range(of: "\(name)=") else { return nil }
                let rest = line[range.upperBound...]
                if rest.first == "\"" { return String(rest.dropFirst().prefix { $0 != "\"" }) }
                return String(rest.prefix { $0 != "," && $0 != " " })
            }
            guard let algorithm = value("algorithm"), let nonce = value("nonce") else { return nil }
            return (algorithm, nonce, value("stale") == "true")
        }
    }

    /// `Proxy-Authorization` credentials answering `nonce` as a user agent would.
    static func answer(
        nonce: String, username: String = "alice", password: String = password, algorithm: DigestAlgorithm = .md5,
        method: String = "INVITE", uri: String = "sip:+14155550100@digest.example.com", realm: String = realm
    ) -> String {
        let ha1 = algorithm.ha1(username: username, realm: realm, password: password)
        let response = algorithm.requestDigest(
            ha1: ha1, nonce: nonce, method: method, digestURI: uri, qop: .auth(nc: "00000001", cnonce: "0a4f113b"))
        return "Digest username=\"\(username)\", realm=\"\(realm)\", nonce=\"\(nonce)\", uri=\"\(uri)\", "
            + "response=\"\(response)\", algorithm=\(algorithm.rawValue), qop=auth, nc=00000001, cnonce=\"0a4f113b\""
    }

    @Test("an INVITE without credentials gets a 407 with one challenge per algorithm, MD5 first")
    func challenge() throws {
        let decision = Self.decide(Self.request())
        #expect(decision.verdict == .challenged)
        #expect(decision.reason == "no_credentials")
        #expect(decision.statusCode == 407)
        let text = Fixtures.text(decision.outbound?.bytes)
        #expect(text.hasPrefix("SIP/2.0 407 Proxy Authentication Required\r\n"))
        let challenges = try Self.challenges(in: decision)
        #expect(challenges.map(\.algorithm) == ["MD5", "SHA-256"])
        #expect(Set(challenges.map(\.nonce)).count == 1)
        #expect(text.contains("realm=\"sipfence\"") && text.contains("qop=\"auth\""))
        #expect(!challenges.contains { $0.stale })
        // A retransmission within the nonce step gets the very same bytes.
        #expect(Self.decide(Self.request(), now: Fixtures.now + 1).outbound?.bytes == decision.outbound?.bytes)
        // The configured order is kept.
        let sha = Self.decide(Self.request(), pipeline: Self.pipeline(algorithms: [.sha256, .md5]))
        #expect(try Self.challenges(in: sha).map(\.algorithm) == ["SHA-256", "MD5"])
    }

    @Test("valid credentials are admitted and forwarded without our realm's Proxy-Authorization", arguments: DigestAlgorithm.allCases)
    func authenticated(algorithm: DigestAlgorithm) throws {
        let nonce = try #require(try Self.challenges(in: Self.decide(Self.request())).first?.nonce)
        let other = "Digest username=\"x\", realm=\"upstream.example\", nonce=\"n\", uri=\"sip:a@b\", response=\"00\""
        let decision = Self.decide(
            Self.request(authorization: [Self.answer(nonce: nonce, algorithm: algorithm), other]), now: Fixtures.now + 20)
        #expect(decision.verdict == .admitted, "\(decision.reason)")
        #expect(decision.reason == "digest_authenticated")
        #expect(decision.username == "alice")
        #expect(decision.outbound?.destination == .upstream)
        let forwarded = Fixtures.text(decision.outbound?.bytes)
        #expect(!forwarded.contains("realm=\"sipfence\""))
        #expect(forwarded.contains("Proxy-Authorization: \(other)\r\n"))  // other realms pass on (RFC 3261 §22.3)
    }

    @Test(
        "credentials that cannot pass get 403",
        arguments: [
            ("wrong password", "alice", "Wrong-Horse-42", "sip:+14155550100@digest.example.com", "wrong_credentials"),
            ("unknown user", "mallory", password, "sip:+14155550100@digest.example.com", "unknown_username"),
            ("other request's URI", "alice", password, "sip:+14155550199@digest.example.com", "digest_uri_mismatch"),
        ])
    func refused(_ name: String, username: String, password: String, uri: String, reason: String) throws {
        let nonce = try #require(try Self.challenges(in: Self.decide(Self.request())).first?.nonce)
        let decision = Self.decide(Self.request(authorization: [Self.answer(nonce: nonce, username: username, password: password, uri: uri)]))
        #expect(decision.verdict == .rejected)
        #expect(decision.reason == reason)
        #expect(decision.admission == .reject(.digest(DigestRejection(rawValue: reason)!)))
        #expect(decision.statusCode == 403)
    }

    @Test("an expired nonce with the right password gets a new challenge with stale=true")
    func stale() throws {
        let nonce = try #require(try Self.challenges(in: Self.decide(Self.request())).first?.nonce)
        let late = Self.decide(Self.request(authorization: [Self.answer(nonce: nonce)]), now: Fixtures.now + 301)
        #expect(late.verdict == .challenged)
        #expect(late.reason == "stale_nonce")
        let challenges = try Self.challenges(in: late)
        #expect(challenges.allSatisfy { $0.stale })
        #expect(challenges.first?.nonce != nonce)
        // Wrong password with an expired nonce: refused, never stale.
        let wrong = Self.decide(Self.request(authorization: [Self.answer(nonce: nonce, password: "nope")]), now: Fixtures.now + 301)
        #expect(wrong.verdict == .rejected)
    }

    @Test("a nonce from another source address, another Call-ID or another keyring is not accepted")
    func boundNonce() throws {
        let nonce = try #require(try Self.challenges(in: Self.decide(Self.request())).first?.nonce)
        let elsewhere = Self.decide(Self.request(authorization: [Self.answer(nonce: nonce)]), from: Fixtures.udp("198.51.100.1", 5062))
        #expect(elsewhere.verdict == .challenged && elsewhere.reason == "invalid_nonce")
        let otherCall = Self.decide(Self.request(callID: "another@pc33", authorization: [Self.answer(nonce: nonce)]))
        #expect(otherCall.verdict == .challenged && otherCall.reason == "invalid_nonce")
        var settings = Fixtures.settings
        settings.digest = DigestSettings(realm: Self.realm, keyring: .random())
        let otherNode = Self.decide(Self.request(authorization: [Self.answer(nonce: nonce)]), pipeline: AdmissionPipeline(settings: settings))
        #expect(otherNode.verdict == .challenged && otherNode.reason == "invalid_nonce")
        // Same address, another port: still the same caller.
        let otherPort = Self.decide(Self.request(authorization: [Self.answer(nonce: nonce)]), from: Fixtures.udp("203.0.113.9", 6000))
        #expect(otherPort.verdict == .admitted)
    }

    @Test("a nonce survives a restart: a keyring from the same stored secret accepts it; another secret does not")
    func restartKeepsNonces() throws {
        let secret = SIPKeyring.randomSecret()
        func pipeline(_ keyring: SIPKeyring) -> AdmissionPipeline {
            var settings = Fixtures.settings
            settings.digest = DigestSettings(realm: Self.realm, keyring: keyring)
            return AdmissionPipeline(settings: settings)
        }
        let before = pipeline(try SIPKeyring(secret: secret))
        let nonce = try #require(try Self.challenges(in: Self.decide(Self.request(), pipeline: before)).first?.nonce)
        let answer = Self.request(authorization: [Self.answer(nonce: nonce)])
        let afterRestart = Self.decide(answer, pipeline: pipeline(try SIPKeyring(secret: secret)), now: Fixtures.now + 60)
        #expect(afterRestart.verdict == .admitted)
        let otherSecret = Self.decide(answer, pipeline: pipeline(.random()), now: Fixtures.now + 60)
        #expect(otherSecret.verdict == .challenged && otherSecret.reason == "invalid_nonce")
    }

    @Test("auth_mode all: both rules must pass; a source outside the lists gets 403 without a nonce")
    func modeAll() throws {
        let outside = Self.decide(Self.request(domain: "both.example.com"))
        #expect(outside.verdict == .rejected && outside.reason == "source_not_in_any_list")
        #expect(try Self.challenges(in: outside).isEmpty)
        let inside = Self.decide(Self.request(domain: "both.example.com"), from: Fixtures.allowed)
        #expect(inside.verdict == .challenged)
        let nonce = try #require(try Self.challenges(in: inside).first?.nonce)
        let answered = Self.decide(
            Self.request(domain: "both.example.com", authorization: [Self.answer(nonce: nonce, uri: "sip:+14155550100@both.example.com")]),
            from: Fixtures.allowed)
        #expect(answered.verdict == .admitted && answered.reason == "source_in_list_and_authenticated")
        #expect(answered.match?.listID == "AL1" && answered.username == "alice")
    }

    @Test("auth_mode any: a source inside the lists passes unchallenged; any other may authenticate")
    func modeAny() throws {
        let any = Self.pipeline(mode: .any)
        let inside = Self.decide(Self.request(domain: "both.example.com"), from: Fixtures.allowed, pipeline: any)
        #expect(inside.verdict == .admitted && inside.reason == "source_in_list")
        let outside = Self.decide(Self.request(domain: "both.example.com"), pipeline: any)
        #expect(outside.verdict == .challenged)
        let nonce = try #require(try Self.challenges(in: outside).first?.nonce)
        let answered = Self.decide(
            Self.request(domain: "both.example.com", authorization: [Self.answer(nonce: nonce, uri: "sip:+14155550100@both.example.com")]),
            pipeline: any)
        #expect(answered.verdict == .admitted && answered.reason == "digest_authenticated")
        // A domain without credential lists is unchanged by the mode.
        #expect(Self.decide(Self.request(domain: "ip.example.com"), pipeline: any).verdict == .rejected)
    }

    @Test("CANCEL is never challenged; ACK of the 407 is absorbed")
    func cancelAndAck() throws {
        let cancel = Self.decide(Self.request("CANCEL"))
        #expect(cancel.verdict == .admitted && cancel.reason == "cancel_of_authenticated_call")
        #expect(cancel.outbound?.destination == .upstream)
        // With both kinds mapped (mode all), CANCEL follows the IP rule.
        #expect(Self.decide(Self.request("CANCEL", domain: "both.example.com")).verdict == .rejected)

        let challenge = Self.decide(Self.request())
        let response = try SIPMessage(parsing: try #require(challenge.outbound?.bytes), framing: .datagram)
        let tag = try #require(response.toTag)
        let ack = Self.request("ACK").replacingOccurrences(
            of: "To: <sip:+14155550100@digest.example.com>", with: "To: <sip:+14155550100@digest.example.com>;tag=\(tag)"
        )
        let absorbed = Self.decide(ack)
        #expect(absorbed.verdict == .absorbed, "\(absorbed.reason)")
        #expect(absorbed.outbound == nil)
    }

    @Test("REGISTER: refused unless the domain accepts registrations; then checked against the registration lists")
    func register() throws {
        let off = Self.decide(Self.request("REGISTER", domain: "noreg.example.com"))
        #expect(off.verdict == .rejected && off.reason == "registration_not_enabled" && off.statusCode == 403)
        let ipOnly = Self.decide(Self.request("REGISTER", domain: "ip.example.com"), from: Fixtures.allowed)
        #expect(ipOnly.verdict == .rejected && ipOnly.reason == "registration_not_enabled")

        let challenged = Self.decide(Self.request("REGISTER", domain: "reg.example.com"))
        #expect(challenged.verdict == .challenged)
        let nonce = try #require(try Self.challenges(in: challenged).first?.nonce)
        let uri = "sip:+14155550100@reg.example.com"
        // Call credentials do not register; registration credentials do.
        let alice = Self.decide(
            Self.request("REGISTER", domain: "reg.example.com", authorization: [Self.answer(nonce: nonce, method: "REGISTER", uri: uri)]))
        #expect(alice.verdict == .rejected && alice.reason == "unknown_username")
        let bob = Self.decide(
            Self.request(
                "REGISTER", domain: "reg.example.com",
                authorization: [Self.answer(nonce: nonce, username: "bob", method: "REGISTER", uri: uri)]))
        #expect(bob.verdict == .admitted && bob.username == "bob")
        #expect(bob.outbound?.destination == .upstream)
        // A Path (RFC 3327), not a Record-Route, so requests to the agent come back this way.
        let forwarded = Fixtures.text(bob.outbound?.bytes)
        #expect(forwarded.contains("\r\nPath: <sip:127.0.0.1:5060;lr;sft="))
        #expect(!forwarded.contains("Record-Route"))
        // Registration credentials do not place calls.
        let call = Self.decide(Self.request(domain: "reg.example.com"))
        #expect(call.verdict == .rejected && call.reason == "no_list_mapped")
    }

    @Test("malformed or foreign credentials never crash: they get a challenge")
    func garbage() throws {
        for value in ["Digest", "Digest username=", "Basic YWxpY2U6c2VjcmV0", "Digest realm=\"sipfence\", nonce=\"\(String(repeating: "A", count: 36))\"", String(repeating: "x", count: 4000)] {
            let decision = Self.decide(Self.request(authorization: [value]))
            #expect([AdmissionVerdict.challenged, .rejected].contains(decision.verdict), "\(value.prefix(40)): \(decision.reason)")
        }
    }
}
