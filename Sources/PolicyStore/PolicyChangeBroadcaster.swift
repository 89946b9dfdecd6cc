import Synchronization

/// Hands each new policy generation to every subscriber.
///
/// Subscribers get an `AsyncStream` that keeps only the newest generation: a consumer that
/// is busy compiling sees one notification for any number of writes meanwhile, and then
/// reads the store as it is — never a backlog of stale numbers.
final class PolicyChangeBroadcaster: Sendable {
    private struct State {
        var latest: UInt64
        var nextSubscriberID = 0
        var subscribers: [Int: AsyncStream<UInt64>.Continuation] = [:]
    }

    private let state: Mutex<State>

    init(generation: UInt64) {
        self.state = Mutex(State(latest: generation))
    }

    /// A stream that starts with the latest generation and then yields each newer one.
    func subscribe() -> AsyncStream<UInt64> {
        let (stream, continuation) = AsyncStream.makeStream(of: UInt64.self, bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state in
            let id = state.nextSubscriberID
            state.nextSubscriberID += 1
            state.subscribers[id] = continuation
            continuation.yield(state.latest)
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Announces `generation` to every subscriber, unless a newer one was announced already
    /// (writes can finish in a different order than they committed).
    func publish(_ generation: UInt64) {
        state.withLock { state in
            guard generation > state.latest else { return }
            state.latest = generation
            // `yield` never runs `onTermination`, so holding the lock here cannot deadlock;
            // it keeps every subscriber's sequence increasing.
            for continuation in state.subscribers.values {
                continuation.yield(generation)
            }
        }
    }

    /// The number of live subscriptions.
    var subscriberCount: Int {
        state.withLock { $0.subscribers.count }
    }

    /// Ends every subscription.
    func finish() {
        let continuations = state.withLock { state in
            defer { state.subscribers.removeAll() }
            return Array(state.subscribers.values)
        }
        for continuation in continuations { continuation.finish() }
    }
}
