import AccessControl
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
        registry: PrometheusCollectorRegistry,
        logger: Logger,
        onListening: @escaping @Sendable (String, Int) async -> Void
    ) throws {
        api = try ManagementAPI(
            store: store,
            accounts: try Self.accounts(configuration.accounts),
            maximumBodySize: configuration.api.maxBodyBytes,
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
        try api.replaceAccounts(try Self.accounts(accounts))
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
        case .invalidAccount(let sid): "\(sid) is not an account SID"
        }
    }
}
