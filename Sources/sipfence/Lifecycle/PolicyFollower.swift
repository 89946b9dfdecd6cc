import AccessControl
import CoreMetrics
import Logging
import PolicyStore
import ServiceLifecycle
import SIPEdge

/// Keeps the SIP path's policy current: after every committed store change — announced by
/// this process's store, or seen in the store's generation when another process made it —
/// it brings its ``PolicyTracker`` up to date, applying the change journal so that only
/// what changed is recompiled, and installs the new snapshot whole.
struct PolicyFollower: Service {
    let store: PolicyStore
    let live: LivePolicy
    let logger: Logger
    private let tracking: Tracking

    /// A follower starting from `tracker`, whose policy `live` already holds.
    init(store: PolicyStore, tracker: PolicyTracker, live: LivePolicy, logger: Logger) {
        self.store = store
        self.live = live
        self.logger = logger
        self.tracking = Tracking(tracker)
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    for await generation in store.changes() {
                        await refresh(reason: "generation \(generation)")
                    }
                }
                group.addTask { await watchOtherWriters() }
            }
        }
    }

    /// Catches up with commits made by other processes on the same store — another
    /// `sipfence policy import`, a second daemon on the same file — which announce nothing
    /// in this one: reads the store's generation every `interval` and refreshes when it
    /// moved. Cheap (one single-row read), so a change by any writer is enforced within
    /// about `interval`.
    private func watchOtherWriters(every interval: Duration = .milliseconds(250)) async {
        var seen = live.policy.generation
        while true {
            do { try await Task.sleep(for: interval) } catch { return }
            guard let generation = try? await store.generation(), generation != seen else { continue }
            seen = generation
            if generation > live.policy.generation {
                await refresh(reason: "generation \(generation), seen in the store")
            }
        }
    }

    /// Brings the policy up to the store's generation and installs it; a failure keeps
    /// the old one. With `reloading`, everything is read and compiled again (SIGHUP).
    func refresh(reason: String, reloading: Bool = false) async {
        let clock = ContinuousClock()
        let started = clock.now
        do {
            let (policy, update) = try await tracking.refresh(from: store, reloading: reloading)
            guard update != .unchanged else { return }
            let how = update == .reloaded ? "reload" : "journal"
            Counter(label: "sipfence_policy_updates_total", dimensions: [("how", how)]).increment()
            let elapsed = (clock.now - started).components
            CoreMetrics.Timer(
                label: "sipfence_policy_update_duration_seconds", dimensions: [("how", how)], preferredDisplayUnit: .seconds
            ).recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
            if live.install(policy) {
                Self.record(policy)
                logger.debug(
                    "policy installed",
                    metadata: [
                        "generation": "\(policy.generation)", "domains": "\(policy.domainCount)", "reason": "\(reason)",
                        "how": "\(how)", "milliseconds": "\((clock.now - started).milliseconds)",
                    ])
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

    /// The tracker, shared by the change loop and SIGHUP's reload.
    private actor Tracking {
        private var tracker: PolicyTracker

        init(_ tracker: PolicyTracker) {
            self.tracker = tracker
        }

        /// Reads what changed (the store's part, during which another refresh may run) and
        /// applies it to the tracker in place (no suspension: one refresh at a time).
        func refresh(from store: PolicyStore, reloading: Bool) async throws -> (Policy, PolicyTracker.Update) {
            let pending = reloading ? try await tracker.everything(in: store) : try await tracker.changes(in: store)
            var update = tracker.apply(pending)
            if update == .unchanged, !reloading, try await store.generation() > tracker.generation {
                // Another refresh applied changes while this one read: read again.
                update = tracker.apply(try await tracker.changes(in: store))
            }
            return (tracker.policy, update)
        }
    }
}

extension Duration {
    /// The duration in whole milliseconds.
    fileprivate var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
