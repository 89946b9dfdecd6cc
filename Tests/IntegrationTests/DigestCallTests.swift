import Foundation
import Testing

/// Digest authentication through the running daemon, with sipp's `[authentication]`
/// answering sipfence's 407s, Kamailio upstream and a sipp UAS behind it.
@Suite("Integration: digest authentication", .serialized)
struct DigestCallTests {
    static let username = "alice"
    static let password = "Sipfence-Test-Pass-42"
    static let phones = "phones.sipfence.test"

    static func credentials(_ password: String = password) -> [String: String] {
        ["USERNAME": username, "PASSWORD": password]
    }

    /// sipp's digest `uri` is `sip:REMOTE_IP:PORT` unless told: RFC 7616 §3.4.6 wants the
    /// Request-URI, which sipfence checks.
    static func authURI(_ domain: String, user: String = "15550100") -> [String] {
        ["-auth_uri", "\(user)@\(domain)"]  // sipp adds the sip: itself
    }

    @Test("a caller outside every list answers the 407 and completes the call", arguments: ["u1", "t1"])
    func authenticatedCall(transport: String) async throws {
        try await World.with { world in
            try await world.api.provisionCredentials(domain: Self.phones, username: Self.username, password: Self.password)
            let outcome = try await world.call(
                "uac-auth-call.xml", from: "127.0.0.3", transport: transport, domain: Self.phones, values: Self.credentials(), arguments: Self.authURI(Self.phones))
            #expect(outcome.succeeded, "\(outcome.output.suffix(2000))\n\(world.daemon.standardError.suffix(3000))")
            let label = transport == "t1" ? "tcp" : "udp"
            #expect(try await world.api.metric("sipfence_sip_messages_total{method=\"INVITE\",transport=\"\(label)\",verdict=\"challenged\"}") == 1)
            #expect(try await world.api.metric("sipfence_sip_messages_total{method=\"INVITE\",transport=\"\(label)\",verdict=\"admitted\"}") == 1)
            #expect(try await world.api.metric("sipfence_sip_messages_total{method=\"ACK\",transport=\"\(label)\",verdict=\"absorbed\"}") == 1)
        }
    }

    @Test("a wrong password gets 403")
    func wrongPassword() async throws {
        try await World.with { world in
            try await world.api.provisionCredentials(domain: Self.phones, username: Self.username, password: Self.password)
            var values = Self.credentials("Not-The-Password-1")
            values["STATUS"] = "403"
            let outcome = try await world.call("uac-auth-refused.xml", from: "127.0.0.3", domain: Self.phones, values: values, arguments: Self.authURI(Self.phones))
            #expect(outcome.succeeded, "\(outcome.output.suffix(2000))")
            #expect(try await world.api.metric("sipfence_sip_messages_total{method=\"INVITE\",transport=\"udp\",verdict=\"rejected\"}") == 1)
            #expect(world.daemon.standardError.contains("reason=wrong_credentials"), "\(world.daemon.standardError.suffix(2000))")
        }
    }

    @Test("an expired nonce gets a new challenge with stale=true, and the call then completes")
    func staleNonce() async throws {
        try await World.with(environment: ["SIPFENCE_SIP_DIGEST_NONCE_SECONDS": "10"]) { world in
            try await world.api.provisionCredentials(domain: Self.phones, username: Self.username, password: Self.password)
            var values = Self.credentials()
            values["PAUSE_MS"] = "10500"  // past the 10 s lifetime of a nonce issued up to 1 s earlier
            let outcome = try await world.call(
                "uac-auth-stale.xml", from: "127.0.0.3", domain: Self.phones, values: values,
                arguments: Self.authURI(Self.phones), timeout: 40)
            #expect(outcome.succeeded, "\(outcome.output.suffix(2000))\n\(world.daemon.standardError.suffix(3000))")
            #expect(try await world.api.metric("sipfence_sip_messages_total{method=\"INVITE\",transport=\"udp\",verdict=\"challenged\"}") == 2)
        }
    }

    @Test("auth_mode all: a domain with both kinds mapped refuses outsiders at once and challenges insiders")
    func modeAll() async throws {
        try await World.with { world in
            // The world's domain already admits 127.0.0.2 by IP; add credentials to it.
            try await world.api.provisionCredentials(
                domain: World.domain, username: Self.username, password: Self.password, existingDomain: world.domainSID)
            let outsider = try await world.call("uac-refused.xml", from: "127.0.0.3", values: ["STATUS": "403"])
            #expect(outsider.succeeded, "\(outsider.output.suffix(2000))")
            let insider = try await world.call("uac-auth-call.xml", from: "127.0.0.2", values: Self.credentials(), arguments: Self.authURI(World.domain))
            #expect(insider.succeeded, "\(insider.output.suffix(2000))\n\(world.daemon.standardError.suffix(3000))")
        }
    }

    @Test("auth_mode any: insiders pass unchallenged, outsiders may authenticate")
    func modeAny() async throws {
        try await World.with(environment: ["SIPFENCE_SIP_AUTH_MODE": "any"]) { world in
            try await world.api.provisionCredentials(
                domain: World.domain, username: Self.username, password: Self.password, existingDomain: world.domainSID)
            let insider = try await world.call(from: "127.0.0.2")
            #expect(insider.succeeded, "\(insider.output.suffix(2000))")
            let outsider = try await world.call("uac-auth-call.xml", from: "127.0.0.3", values: Self.credentials(), arguments: Self.authURI(World.domain))
            #expect(outsider.succeeded, "\(outsider.output.suffix(2000))\n\(world.daemon.standardError.suffix(3000))")
        }
    }

    @Test("REGISTER: 403 unless sip_registration is on; then authenticated and answered by the upstream")
    func register() async throws {
        try await World.with { world in
            try await world.api.provisionCredentials(
                domain: "closed-reg.sipfence.test", username: Self.username, password: Self.password,
                kind: "Auth/Registrations")
            let refused = try await world.call(
                "uac-register-refused.xml", from: "127.0.0.3", domain: "closed-reg.sipfence.test", values: ["STATUS": "403"])
            #expect(refused.succeeded, "\(refused.output.suffix(2000))")

            try await world.api.provisionCredentials(
                domain: "reg.sipfence.test", username: Self.username, password: Self.password,
                kind: "Auth/Registrations", form: [("SipRegistration", "true")])
            let registered = try await world.call(
                "uac-register.xml", from: "127.0.0.3", domain: "reg.sipfence.test", values: Self.credentials(), arguments: ["-auth_uri", "reg.sipfence.test"])
            #expect(registered.succeeded, "\(registered.output.suffix(2000))\n\(world.daemon.standardError.suffix(3000))")
        }
    }
}
