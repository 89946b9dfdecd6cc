import AccessControl
import StoreTestSupport
import Testing

@testable import PolicyStore

@Suite("Compiling credentials")
struct CredentialCompileTests {
    @Test("credential lists compile into each domain's call and registration credentials")
    func compile() async throws {
        let store = try await TestStores.make()
        let account = Fixtures.alice
        var registering = DomainSettings()
        registering.sipRegistration = true
        let calls = try await store.createDomain(account: account, name: Fixtures.domain("calls.example.com"))
        let legacy = try await store.createDomain(account: account, name: Fixtures.domain("legacy.example.com"))
        let registrar = try await store.createDomain(
            account: account, name: Fixtures.domain("reg.example.com"), settings: registering)
        _ = try await store.createDomain(account: account, name: Fixtures.domain("plain.example.com"))
        let phones = try await store.createCredentialList(account: account, friendlyName: "phones")
        let empty = try await store.createCredentialList(account: account, friendlyName: "empty")
        let secret = try CredentialSecret(
            realm: "sipfence", ha1MD5: DigestAlgorithm.md5.ha1(username: "alice", realm: "sipfence", password: "p"),
            ha1SHA256: DigestAlgorithm.sha256.ha1(username: "alice", realm: "sipfence", password: "p"))
        _ = try await store.createCredential(account: account, list: phones.sid, username: "alice", secret: secret)
        _ = try await store.createCredentialListMapping(.authCalls, domain: calls.sid, list: phones.sid, account: account)
        _ = try await store.createCredentialListMapping(.legacy, domain: legacy.sid, list: empty.sid, account: account)
        _ = try await store.createCredentialListMapping(
            .authRegistrations, domain: registrar.sid, list: phones.sid, account: account)

        let policy = try await store.compilePolicy()
        let callRule = try #require(policy.rule(for: Fixtures.domain("calls.example.com")))
        #expect(callRule.authenticatesCalls)
        let alice = try #require(callRule.callCredentials.credential(for: "alice"))
        #expect(alice.listID == phones.sid.rawValue && alice.realm == "sipfence")
        #expect(alice.ha1[.md5] == secret.ha1MD5 && alice.ha1[.sha256] == secret.ha1SHA256)
        #expect(callRule.registrationCredentials.isEmpty && !callRule.acceptsRegistrations)

        // An empty list mapped for calls still requires authentication: nobody can pass.
        let legacyRule = try #require(policy.rule(for: Fixtures.domain("legacy.example.com")))
        #expect(legacyRule.authenticatesCalls && legacyRule.callCredentials.isEmpty)

        let registrarRule = try #require(policy.rule(for: Fixtures.domain("reg.example.com")))
        #expect(registrarRule.acceptsRegistrations && !registrarRule.authenticatesCalls)
        #expect(registrarRule.registrationCredentials.credential(for: "alice") != nil)

        let plainRule = try #require(policy.rule(for: Fixtures.domain("plain.example.com")))
        #expect(!plainRule.authenticatesCalls)
        #expect(plainRule.requirement(forCallFrom: Fixtures.address("192.0.2.1"), mode: .all) == .reject(.noListMapped))
        #expect(callRule.requirement(forCallFrom: Fixtures.address("192.0.2.1"), mode: .all) == .authenticate(nil))
    }
}
