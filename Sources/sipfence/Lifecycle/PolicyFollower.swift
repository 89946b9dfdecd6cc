import AccessControl
import CoreMetrics
import Logging
import PolicyStore
import ServiceLifecycle
import SIPEdge

/// Keeps the SIP path's policy current: after every committed store change it compiles
/// the records into a new snapshot and installs it whole.
struct PolicyFollower: Service {
    let store: PolicyStore
    let live: LivePolicy
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await generation in store.changes() {
                await refresh(reason: "generation \(generation)")
            }
        }
    }

    /// Compiles and installs the store's current policy; a failure keeps the old one.
    func refresh(reason: String) async {
        do {
            let policy = try await store.compilePolicy()
            if live.install(policy) {
                Self.record(policy)
                logger.debug(
                    "policy installed",
                    metadata: ["generation": "\(policy.generation)", "domains": "\(policy.domainCount)", "reason": "\(reason)"]
                )
            }
        } catch {
            logger.error("cannot compile the policy; keeping the previous one", metadata: ["error": "\(error)"])
        }
    }

    /// Publishes the live policy's size: `sipfence_policy_generation`, `sipfence_policy_domains`,
    /// `sipfence_policy_prefixes`.
    static func record(_ policy: Policy) {
        Gauge(label: "sipfence_policy_generation").record(Int64(policy.generation))
        Gauge(label: "sipfence_policy_domains").record(policy.domainCount)
        Gauge(label: "sipfence_policy_prefixes").record(policy.prefixCount)
    }
}
