import Foundation
import Hummingbird
import PolicyStore
import Testing

@testable import ManagementAPI

/// Twilio accepts HTTP Basic with an API key (`SK…` + secret) as well as the Account SID
/// and auth token; a key acts for its own account only.
@Suite("Management API keys")
struct APIKeyTests {
    static let aliceKey = APIKey(
        sid: SID("SK0000000000000000000000000000a11e", kind: .apiKey)!, account: APITestHarness.alice,
        secret: "alice-key-secret-1234")
    static let bobKey = APIKey(
        sid: SID("SK00000000000000000000000000000b0b", kind: .apiKey)!, account: APITestHarness.bob,
        secret: "bob-key-secret-12345")

    static func basic(_ user: String, _ password: String) -> HTTPFields {
        [.authorization: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()]
    }

    @Test("a key reaches its own account's records, and no other account's")
    func keyActsForItsAccount() async throws {
        let harness = try await APITestHarness(apiKeys: [Self.aliceKey, Self.bobKey])
        try await harness.run { client in
            let key = Self.basic(Self.aliceKey.sid.rawValue, Self.aliceKey.secret)
            let created = try await client.send(
                .post, "\(APITestHarness.sip())/IpAccessControlLists.json", as: nil,
                form: [("FriendlyName", "by key")], headers: key)
            #expect(created.status == .created, "\(created.bodyText)")
            #expect(created.json?["account_sid"]?.string == APITestHarness.alice.rawValue)
            // Alice's token sees what the key wrote.
            let listed = try await client.send(.get, "\(APITestHarness.sip())/IpAccessControlLists.json")
            #expect(listed.json?["ip_access_control_lists"]?.array?.count == 1)
            // Alice's key on Bob's account: 404, as for Alice's token.
            try await client.send(.get, "\(APITestHarness.sip(APITestHarness.bob))/Domains.json", as: nil, headers: key)
                .expectError(.notFound, code: 20404)
            // Bob's key does not see Alice's list.
            let bob = Self.basic(Self.bobKey.sid.rawValue, Self.bobKey.secret)
            let bobs = try await client.send(
                .get, "\(APITestHarness.sip(APITestHarness.bob))/IpAccessControlLists.json", as: nil, headers: bob)
            #expect(bobs.json?["ip_access_control_lists"]?.array?.isEmpty == true)
        }
    }

    @Test(
        "a wrong secret, another key's secret, an unknown key or a token with a key's SID get 401",
        arguments: [
            ("SK0000000000000000000000000000a11e", "alice-key-secret-123"),
            ("SK0000000000000000000000000000a11e", "bob-key-secret-12345"),
            ("SK0000000000000000000000000000a11e", "alice-token"),
            ("SK000000000000000000000000000000ff", "alice-key-secret-1234"),
            ("AC00000000000000000000000000000a11", "alice-key-secret-1234"),
            ("SK0000000000000000000000000000A11E", "alice-key-secret-1234x"),
        ])
    func refused(user: String, password: String) async throws {
        let harness = try await APITestHarness(apiKeys: [Self.aliceKey, Self.bobKey])
        try await harness.run { client in
            try await client.send(.get, "\(APITestHarness.sip())/Domains.json", as: nil, headers: Self.basic(user, password))
                .expectError(.unauthorized, code: 20003)
        }
    }

    @Test("key SIDs are matched in either case, like every SID")
    func upperCaseKey() async throws {
        let harness = try await APITestHarness(apiKeys: [Self.aliceKey])
        try await harness.run { client in
            let response = try await client.send(
                .get, "\(APITestHarness.sip())/Domains.json", as: nil,
                headers: Self.basic("SK0000000000000000000000000000A11E", Self.aliceKey.secret))
            #expect(response.status == .ok)
        }
    }

    @Test("replacing the accounts rotates keys at once")
    func rotation() async throws {
        let harness = try await APITestHarness(apiKeys: [Self.aliceKey])
        try await harness.run { client in
            let path = "\(APITestHarness.sip())/Domains.json"
            let old = Self.basic(Self.aliceKey.sid.rawValue, Self.aliceKey.secret)
            #expect(try await client.send(.get, path, as: nil, headers: old).status == .ok)
            let rotated = APIKey(sid: Self.aliceKey.sid, account: APITestHarness.alice, secret: "a-brand-new-secret-99")
            try harness.api.replaceAccounts(APITestHarness.tokens, apiKeys: [rotated])
            try await client.send(.get, path, as: nil, headers: old).expectError(.unauthorized, code: 20003)
            let new = Self.basic(rotated.sid.rawValue, rotated.secret)
            #expect(try await client.send(.get, path, as: nil, headers: new).status == .ok)
        }
    }

    @Test("misconfigured keys are refused when the API is built or reloaded")
    func validation() throws {
        let store = try PolicyStore.inMemory()
        let orphan = APIKey(
            sid: Self.aliceKey.sid, account: SID("AC000000000000000000000000000000ff", kind: .account)!, secret: "x")
        #expect(throws: ManagementAPIConfigurationError.self) {
            try ManagementAPI(store: store, accounts: APITestHarness.tokens, apiKeys: [orphan], policy: { .empty })
        }
        let empty = APIKey(sid: Self.aliceKey.sid, account: APITestHarness.alice, secret: "")
        #expect(throws: ManagementAPIConfigurationError.emptyAuthToken(Self.aliceKey.sid)) {
            try ManagementAPI(store: store, accounts: APITestHarness.tokens, apiKeys: [empty], policy: { .empty })
        }
        #expect(throws: ManagementAPIConfigurationError.apiKeyListedTwice(Self.aliceKey.sid)) {
            try ManagementAPI(
                store: store, accounts: APITestHarness.tokens, apiKeys: [Self.aliceKey, Self.aliceKey], policy: { .empty })
        }
        let notAKey = APIKey(sid: APITestHarness.bob, account: APITestHarness.alice, secret: "secret-secret-secret")
        #expect(throws: ManagementAPIConfigurationError.notAnAPIKeySID(APITestHarness.bob)) {
            try ManagementAPI(store: store, accounts: APITestHarness.tokens, apiKeys: [notAKey], policy: { .empty })
        }
    }
}
