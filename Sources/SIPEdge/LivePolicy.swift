public import AccessControl
import Synchronization

/// The policy the SIP path applies right now.
///
/// The store compiles a new ``Policy`` after every change and hands it here whole; every
/// packet reads one complete snapshot, never a half-built one. A snapshot older than the
/// current one (a late compile racing a newer one) is ignored.
public final class LivePolicy: Sendable {
    private let current: Mutex<Policy>

    /// A holder starting with `policy` (by default the empty policy, which admits nothing).
    public init(_ policy: Policy = .empty) {
        self.current = Mutex(policy)
    }

    /// The current snapshot.
    public var policy: Policy {
        current.withLock { $0 }
    }

    /// Installs `policy` unless the current snapshot is newer; returns whether it did.
    @discardableResult
    public func install(_ policy: Policy) -> Bool {
        current.withLock { current in
            guard policy.generation >= current.generation else { return false }
            current = policy
            return true
        }
    }
}
