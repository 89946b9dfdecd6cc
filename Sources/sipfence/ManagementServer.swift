import AccessControl
import Admission
import Hummingbird
import Logging
import ManagementAPI
import NIOCore
import PolicyStore
import Prometheus
import ServiceLifecycle
import SIPEdge

/// The management API as a service of the daemon: the Twilio-compatible routes,
/// `/sipfence/v1/check` answered from the live policy, `/healthz` and `/metrics`.
struct ManagementServer: Service {
    private let api: ManagementAPI
    private let application: Application<RouterResponder<ManagementRequestContext>>

    init(
        configuration: DaemonConfiguration,
        store: PolicyStore,
        policy: LivePolicy,
        floodGuard: FloodGuard,
        registry: PrometheusCollectorRegistry,
        logger: Logger,
        onListening: @escaping @Sendable (String, Int) async -> Void
    ) throws {
        api = try ManagementAPI(
            store: store,
            accounts: try Self.accounts(configuration.accounts),
            apiKeys: try Self.apiKeys(configuration.accounts),
            operators: try Self.operators(configuration.accounts),
            floodGuard: floodGuard,
            maximumBodySize: configuration.api.maxBodyBytes,
            digestRealm: configuration.digestRealm,
            authenticationMode: configuration.sip.digest.mode,
            policy: { policy.policy },
            metrics: { registry.emitToString() }
        )
        application = Application(
            router: api.buildRouter(),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.api.host, port: configuration.api.port),
                serverName: "sipfence"
            ),
            onServerRunning: { channel in
                let address = channel.localAddress
                await onListening(address?.ipAddress ?? configuration.api.host, address?.port ?? configuration.api.port)
            },
            logger: logger
        )
    }

    func run() async throws {
        try await application.run()
    }

    /// Installs the accounts of a reloaded configuration.
    func updateAccounts(_ accounts: [DaemonConfiguration.Account]) throws {
        try api.replaceAccounts(try Self.accounts(accounts), apiKeys: try Self.apiKeys(accounts), operators: try Self.operators(accounts))
    }

    private static func operators(_ accounts: [DaemonConfiguration.Account]) throws -> Set<SID> {
        Set(try accounts.filter(\.isOperator).map { account in
            guard let sid = SID(account.sid, kind: .account) else { throw ManagementServerError.invalidAccount(account.sid) }
            return sid
        })
    }

    private static func apiKeys(_ accounts: [DaemonConfiguration.Account]) throws -> [APIKey] {
        try accounts.flatMap { account in
            guard let owner = SID(account.sid, kind: .account) else { throw ManagementServerError.invalidAccount(account.sid) }
            return try account.apiKeys.map { key in
                guard let sid = SID(key.sid, kind: .apiKey) else { throw ManagementServerError.invalidAccount(key.sid) }
                return APIKey(sid: sid, account: owner, secret: key.secret)
            }
        }
    }

    private static func accounts(_ accounts: [DaemonConfiguration.Account]) throws -> [SID: String] {
        var result: [SID: String] = [:]
        for account in accounts {
            guard let sid = SID(account.sid, kind: .account) else { throw ManagementServerError.invalidAccount(account.sid) }
            result[sid] = account.authToken
        }
        return result
    }
}

enum ManagementServerError: Error, CustomStringConvertible {
    case invalidAccount(String)

    var description: String {
        switch self {
        case .invalidAccount(let sid): "\(sid) is not an account or API key SID"
        }
    }
}
