import AccessControl
import CoreMetrics
import Logging
import PolicyStore
import ServiceLifecycle
import SIPEdge

/// Keeps the SIP path's policy current: after every committed store change — announced by
/// this process's store, notified by PostgreSQL when another node made it, or seen in the
/// store's generation when another process made it —
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
                // PostgreSQL: other nodes' commits, as the database notifies them.
                group.addTask { await store.followCommits() }
            }
        }
    }

    /// Catches up with commits made by other processes on the same store — another
    /// `sipfence policy import`, a second daemon on the same file — which announce nothing
    /// in this one: reads the store's generation every `interval` and refreshes while it is
    /// ahead of the live policy. Cheap (one single-row read), so a change by any writer is
    /// enforced within about `interval`. After a failed refresh it waits twice as long each
    /// time, up to 30 s, so that a broken store is retried without flooding the log; while
    /// the store cannot be read at all, it looks at least every second.
    ///
    /// Each look also publishes whether the store answers (`sipfence_store_up`, 1 or 0)
    /// and how stale the enforced policy may be (`sipfence_policy_age_seconds`: the time
    /// since this node last saw that its policy is the store's newest; it stays below the
    /// interval while the store answers, and grows while it does not).
    private func watchOtherWriters(every interval: Duration = .milliseconds(250)) async {
        let clock = ContinuousClock()
        let storeUp = Gauge(label: "sipfence_store_up")
        let policyAge = Gauge(label: "sipfence_policy_age_seconds")
        var confirmed = clock.now
        var wasReachable = true
        storeUp.record(1)
        policyAge.record(0)
        var wait = interval
        while true {
            do { try await Task.sleep(for: wait) } catch { return }
            let generation: UInt64
            do {
                generation = try await store.generation()
            } catch {
                if wasReachable {
                    logger.warning(
                        "cannot read the policy store; the SIP path keeps enforcing the policy it has",
                        metadata: ["generation": "\(live.policy.generation)", "error": "\(error)"])
                }
                wasReachable = false
                storeUp.record(0)
                policyAge.record((clock.now - confirmed).seconds)
                wait = min(wait * 2, .seconds(1))  // the age stays current while the store is away
                continue
            }
            if !wasReachable {
                logger.notice("the policy store answers again", metadata: ["generation": "\(generation)"])
                wasReachable = true
            }
            storeUp.record(1)
            if generation <= live.policy.generation {
                confirmed = clock.now
                wait = interval
            } else if await refresh(reason: "generation \(generation), seen in the store") {
                confirmed = clock.now
                wait = interval
            } else {
                wait = min(wait * 2, .seconds(30))
            }
            policyAge.record((clock.now - confirmed).seconds)
        }
    }

    /// Brings the policy up to the store's generation and installs it; a failure keeps
    /// the old one. With `reloading`, everything is read and compiled again (SIGHUP).
    ///
    /// - Returns: whether the policy is current (false: the store could not be read).
    @discardableResult
    func refresh(reason: String, reloading: Bool = false) async -> Bool {
        let clock = ContinuousClock()
        let started = clock.now
        do {
            let (policy, update) = try await tracking.refresh(from: store, reloading: reloading)
            guard update != .unchanged else { return true }
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
            return true
        } catch {
            logger.error("cannot compile the policy; keeping the previous one", metadata: ["error": "\(error)"])
            return false
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

        /// Reads what changed (the store's part, during which another refresh may run: the
        /// read holds only the tracker's baseline, not its records) and applies it to the
        /// tracker in place (no suspension: one apply at a time). A read that another
        /// refresh overtook is read again, so that a SIGHUP always ends in a whole compile
        /// and a journal refresh in the store's generation.
        func refresh(from store: PolicyStore, reloading: Bool) async throws -> (Policy, PolicyTracker.Update) {
            for _ in 0..<3 {
                let pending =
                    reloading
                    ? try await PolicyTracker.everything(in: store)
                    : try await PolicyTracker.changes(in: store, since: tracker.baseline)
                let update = tracker.apply(pending)
                // Unchanged after a read of something: another refresh applied newer changes
                // meanwhile, and this read is stale.
                if update != .unchanged || (!reloading && pending.isEmpty) {
                    return (tracker.policy, update)
                }
            }
            throw PolicyFollowerError.overtaken
        }
    }
}

/// Why the follower could not bring the policy up to date.
enum PolicyFollowerError: Error, CustomStringConvertible {
    /// Other refreshes kept applying newer changes while this one read the store.
    case overtaken

    var description: String {
        switch self {
        case .overtaken: "other policy refreshes overtook this one three times; it will be retried"
        }
    }
}

extension Duration {
    /// The duration in whole milliseconds.
    fileprivate var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }

    /// The duration in seconds.
    fileprivate var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
