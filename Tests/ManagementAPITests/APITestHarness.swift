import AccessControl
import Admission
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import PolicyStore
import StoreTestSupport
import Synchronization
import Testing

@testable import ManagementAPI

/// One store (in memory, or in a file when a test needs another connection to it), two
/// accounts, and a management API over them, driven through Hummingbird's in-process
/// router test client.
struct APITestHarness: Sendable {
    static let alice = SID("AC00000000000000000000000000000a11", kind: .account)!
    static let bob = SID("AC00000000000000000000000000000b0b", kind: .account)!
    static let tokens = [alice: "alice-token", bob: "bob-token"]

    let clock = TestClock()
    let store: PolicyStore
    let livePolicy = LivePolicy()
    let api: ManagementAPI

    init(
        maximumBodySize: Int = ManagementAPI.defaultMaximumBodySize, apiKeys: [APIKey] = [],
        digestRealm: String = "sipfence", authenticationMode: AuthenticationMode = .all,
        metrics: (@Sendable () -> String)? = nil, operators: Set<SID> = [], floodGuard: FloodGuard? = nil,
        storePath: String? = nil, busyTimeout: Duration = PolicyStore.defaultBusyTimeout
    ) async throws {
        store =
            if let storePath {
                try PolicyStore(path: storePath, now: clock.now, busyTimeout: busyTimeout)
            } else {
                try await TestStores.make(now: clock.now)
            }
        let livePolicy = self.livePolicy
        api = try ManagementAPI(
            store: store, accounts: Self.tokens, apiKeys: apiKeys, operators: operators, floodGuard: floodGuard,
            maximumBodySize: maximumBodySize,
            digestRealm: digestRealm, authenticationMode: authenticationMode,
            policy: { livePolicy.current }, metrics: metrics)
    }

    /// Recompiles the policy the API sees, as the daemon does on a store change.
    func recompile() async throws {
        livePolicy.current = try await store.compilePolicy()
    }

    /// Runs `body` with a client of the API.
    func run(_ body: @Sendable (APIClient) async throws -> Void) async throws {
        let app = Application(router: api.buildRouter())
        try await app.test(.router) { client in
            try await body(APIClient(client: client))
        }
    }

    static func sip(_ account: SID = alice) -> String { "/2010-04-01/Accounts/\(account)/SIP" }
}

/// A response with its body parsed as JSON (`nil` when the body is not JSON).
struct APIResponse: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let bodyText: String
    let json: JSONValue?

    /// Expects a Twilio error body with `status` and `code`, and returns its message.
    @discardableResult
    func expectError(
        _ status: HTTPResponse.Status, code: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) -> String {
        #expect(self.status == status, "\(bodyText)", sourceLocation: sourceLocation)
        #expect(
            json?.keys == ["code", "message", "more_info", "status"], "\(bodyText)", sourceLocation: sourceLocation)
        #expect(json?["code"]?.int == code, "\(bodyText)", sourceLocation: sourceLocation)
        #expect(json?["status"]?.int == Int(status.code), sourceLocation: sourceLocation)
        #expect(
            json?["more_info"]?.string == "https://www.twilio.com/docs/errors/\(code)", sourceLocation: sourceLocation)
        return json?["message"]?.string ?? ""
    }
}

struct APIClient: Sendable {
    let client: any TestClientProtocol

    /// Sends a request; `form` becomes an `application/x-www-form-urlencoded` body.
    func send(
        _ method: HTTPRequest.Method, _ path: String, as account: SID? = APITestHarness.alice,
        token: String? = nil, form: [(String, String)]? = nil, headers extraHeaders: HTTPFields = [:],
        body rawBody: String? = nil
    ) async throws -> APIResponse {
        var headers = extraHeaders
        if let account {
            let credentials = "\(account):\(token ?? APITestHarness.tokens[account] ?? "")"
            headers[.authorization] = "Basic " + Data(credentials.utf8).base64EncodedString()
        }
        var body: ByteBuffer?
        if let form {
            headers[.contentType] = "application/x-www-form-urlencoded"
            body = ByteBuffer(string: Self.encode(form))
        }
        if let rawBody { body = ByteBuffer(string: rawBody) }
        return try await client.execute(uri: path, method: method, headers: headers, body: body) { response in
            let data = Data(response.body.readableBytesView)
            return APIResponse(
                status: response.status, headers: response.headers, bodyText: String(decoding: data, as: UTF8.self),
                json: try? JSONDecoder().decode(JSONValue.self, from: data))
        }
    }

    static func encode(_ form: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return form.map { key, value in
            "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
        }.joined(separator: "&")
    }

    // Shorthands that create records and return their SIDs.

    func createDomain(_ name: String, as account: SID = APITestHarness.alice) async throws -> String {
        let response = try await send(
            .post, "\(APITestHarness.sip(account))/Domains.json", as: account, form: [("DomainName", name)])
        #expect(response.status == .created, "\(response.bodyText)")
        return response.json?["sid"]?.string ?? ""
    }

    func createList(_ name: String, as account: SID = APITestHarness.alice) async throws -> String {
        let response = try await send(
            .post, "\(APITestHarness.sip(account))/IpAccessControlLists.json", as: account,
            form: [("FriendlyName", name)])
        #expect(response.status == .created, "\(response.bodyText)")
        return response.json?["sid"]?.string ?? ""
    }

    func createCredentialList(_ name: String, as account: SID = APITestHarness.alice) async throws -> String {
        let response = try await send(
            .post, "\(APITestHarness.sip(account))/CredentialLists.json", as: account, form: [("FriendlyName", name)])
        #expect(response.status == .created, "\(response.bodyText)")
        return response.json?["sid"]?.string ?? ""
    }

    func createCredential(
        _ username: String, password: String = "Correct4HorseBattery", in list: String,
        as account: SID = APITestHarness.alice
    ) async throws -> APIResponse {
        try await send(
            .post, "\(APITestHarness.sip(account))/CredentialLists/\(list)/Credentials.json", as: account,
            form: [("Username", username), ("Password", password)])
    }

    func createAddress(
        _ address: String, in list: String, as account: SID = APITestHarness.alice
    ) async throws -> APIResponse {
        try await send(
            .post, "\(APITestHarness.sip(account))/IpAccessControlLists/\(list)/IpAddresses.json", as: account,
            form: [("FriendlyName", "entry \(address)"), ("IpAddress", address)])
    }
}

/// The daemon's part: the compiled policy the API answers from, replaced whole.
final class LivePolicy: Sendable {
    private let policy = Mutex(Policy.empty)

    var current: Policy {
        get { policy.withLock { $0 } }
        set { policy.withLock { $0 = newValue } }
    }
}

/// A clock that stands still until moved.
final class TestClock: Sendable {
    static let start = Date(timeIntervalSince1970: 1_438_286_400)  // Thu, 30 Jul 2015 20:00:00 +0000
    private let current = Mutex(TestClock.start)

    var now: @Sendable () -> Date { { self.current.withLock { $0 } } }

    func advance(by seconds: TimeInterval) {
        current.withLock { $0 += seconds }
    }
}
