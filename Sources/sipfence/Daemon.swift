import AccessControl
import Admission
import Foundation
import Logging
import PolicyStore
import Prometheus
import ServiceLifecycle
import SIPEdge
import Synchronization
import UnixSignals

/// The running daemon: the policy store, the SIP edge and the management API in one
/// swift-service-lifecycle `ServiceGroup`.
///
/// - SIGTERM / SIGINT: graceful stop (`STOPPING=1`): stop accepting, close sockets, exit 0.
/// - SIGHUP: reload — the configuration file is read again and applied without dropping
///   sockets that did not change (`RELOADING=1` … `READY=1`), and the policy recompiled.
actor Daemon {
    private let configurationPath: String
    private var configuration: DaemonConfiguration
    private let logger: Logger
    private let logLevel: LogLevelControl
    private let registry: PrometheusCollectorRegistry
    private let notifier = SystemdNotifier()

    init(configurationPath: String, configuration: DaemonConfiguration, logLevel: LogLevelControl, registry: PrometheusCollectorRegistry) {
        self.configurationPath = configurationPath
        self.configuration = configuration
        self.logLevel = logLevel
        self.registry = registry
        self.logger = Logger(label: "sipfence")
    }

    func run() async throws {
        let store = try await PolicyStore.open(
            configuration.store, prefixLengthMinimums: configuration.prefixLengthMinimums,
            logger: Logger(label: "sipfence.store"))
        try await store.reportEntriesShorterThanMinimums(logger: logger)
        for realm in try await store.credentialRealms() where realm != configuration.digestRealm {
            logger.warning(
                "stored credentials were hashed for another digest realm and will not verify; set their passwords again",
                metadata: ["stored_realm": "\(realm)", "sip.digest_realm": "\(configuration.digestRealm)"])
        }
        try configuration.sign(with: try await store.signingKeyring(configured: configuration.keyring))
        let tracker = try await PolicyTracker(compiling: store)
        let live = LivePolicy(tracker.policy)
        PolicyFollower.record(live.policy)
        let follower = PolicyFollower(store: store, tracker: tracker, live: live, logger: logger)

        let edgeBox = EdgeBox()
        let status: @Sendable () -> String = { Self.status(edge: edgeBox.edge.withLock { $0 }, policy: live.policy) }
        let gate = StartupGate(notifier: notifier, status: status)
        let edge = SIPEdge(
            configuration: configuration.sip,
            policy: live,
            logger: Logger(label: "sipfence.sip"),
            onListening: { listeners in await gate.sipListening(listeners) }
        )
        edgeBox.edge.withLock { $0 = edge }

        let api = try ManagementServer(
            configuration: configuration,
            store: store,
            policy: live,
            floodGuard: edge.flood,
            registry: registry,
            logger: Logger(label: "sipfence.api"),
            onListening: { host, port in await gate.httpListening(host: host, port: port) }
        )

        // Trap SIGHUP before the group runs: the default action would kill the process.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let reloader = ReloadService(signals: hangups) { [self] in
            await self.reload(edge: edge, api: api, follower: follower, store: store)
        }

        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: follower),
                    .init(service: api),
                    .init(service: edge),
                    .init(service: WatchdogService(notifier: notifier, status: status)),
                    .init(service: reloader),
                    .init(service: StoppingNotifier(notifier: notifier, logger: logger)),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        logger.info(
            "starting",
            metadata: ["config": "\(configurationPath)", "store": "\(configuration.store)", "generation": "\(live.policy.generation)"]
        )
        try await group.run()
        logger.info("stopped")
    }

    /// Re-reads the configuration file and applies it; on any problem the running
    /// configuration stays and the problems are logged.
    private func reload(edge: SIPEdge, api: ManagementServer, follower: PolicyFollower, store: PolicyStore) async {
        notifier.notifyReloading()
        logger.info("reloading", metadata: ["config": "\(configurationPath)"])
        do {
            var updated = try ConfigurationLoader().load(file: configurationPath)
            try updated.sign(with: try await store.signingKeyring(configured: updated.keyring))
            for key in updated.keepRestartOnlySettings(of: configuration) {
                logger.warning("a setting changed that takes effect at the next start", metadata: ["key": "\(key)"])
            }
            try await edge.reload(updated.sip)
            logLevel.current = updated.logLevel
            try api.updateAccounts(updated.accounts)
            if updated.prefixLengthMinimums != configuration.prefixLengthMinimums {
                store.prefixLengthMinimums = updated.prefixLengthMinimums
                try await store.reportEntriesShorterThanMinimums(logger: logger)
            }
            await follower.refresh(reason: "reload", reloading: true)
            configuration = updated
            notifier.notify("READY=1\nSTATUS=reloaded; \(Self.status(edge: edge, policy: follower.live.policy))")
            logger.info("reloaded")
        } catch let errors as ConfigurationErrors {
            for problem in errors.errors {
                logger.error("configuration not reloaded", metadata: ["key": "\(problem.key)", "reason": "\(problem.reason)"])
            }
            notifier.notify("READY=1\nSTATUS=reload failed: the configuration is not valid; running the previous one")
        } catch {
            logger.error("configuration not reloaded", metadata: ["error": "\(error)"])
            notifier.notify("READY=1\nSTATUS=reload failed: \(error)")
        }
    }

    /// The `STATUS=` line: live counts.
    static func status(edge: SIPEdge?, policy: Policy) -> String {
        let counts = edge?.verdictCounts ?? [:]
        return "policy generation \(policy.generation), \(policy.domainCount) domains, \(policy.prefixCount) prefixes; "
            + "admitted \(counts[.admitted, default: 0]), rejected \(counts[.rejected, default: 0] + counts[.unknownDomain, default: 0]), "
            + "malformed \(counts[.malformed, default: 0]), TCP connections \(edge?.openConnections ?? 0)"
    }
}

/// Reloads on every SIGHUP.
struct ReloadService: Service {
    let signals: UnixSignalsSequence
    let reload: @Sendable () async -> Void

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                await reload()
            }
        }
    }
}

/// The edge, for the status closure created before it.
final class EdgeBox: Sendable {
    let edge = Mutex<SIPEdge?>(nil)
}
