import Synchronization

/// One question on its way through the ``DNSResolverThread``, with the task that waits
/// for its answer.
///
/// The first outcome wins: the c-ares callback, the query's deadline, the waiting task's
/// cancellation and the resolver's shutdown may each try to end a query, and only the
/// first reaches the task.
final class DNSQuery: Sendable {
    /// What the waiting task receives.
    typealias Outcome = Result<DNSResponse, SIPLocationError>

    private enum State {
        case asked
        case waiting(CheckedContinuation<Outcome, Never>)
        case finished(Outcome)
        case delivered
    }

    /// The question asked.
    let question: DNSQuestion
    /// When the question counts as unanswered.
    let deadline: ContinuousClock.Instant
    /// The resolver's timeout, for the error that names it.
    let timeout: Duration
    private let state = Mutex(State.asked)

    /// A query for `question` that times out `timeout` from now.
    init(_ question: DNSQuestion, timeout: Duration) {
        self.question = question
        self.timeout = timeout
        self.deadline = .now + timeout
    }

    /// Whether an outcome has been decided.
    var isFinished: Bool {
        state.withLock { state in
            switch state {
            case .asked, .waiting: false
            case .finished, .delivered: true
            }
        }
    }

    /// Hands the query the waiting task's continuation; resumes it at once when the query
    /// has already finished (it was cancelled before it was sent, say). Called once.
    func wait(with continuation: CheckedContinuation<Outcome, Never>) {
        let early: Outcome? = state.withLock { state in
            switch state {
            case .asked:
                state = .waiting(continuation)
                return nil
            case .finished(let outcome):
                state = .delivered
                return outcome
            case .waiting, .delivered:
                assertionFailure("a DNS query has one waiting task")
                return nil
            }
        }
        if let early { continuation.resume(returning: early) }
    }

    /// Ends the query with `outcome` unless it has already ended.
    func finish(_ outcome: Outcome) {
        let waiting: CheckedContinuation<Outcome, Never>? = state.withLock { state in
            switch state {
            case .asked:
                state = .finished(outcome)
                return nil
            case .waiting(let continuation):
                state = .delivered
                return continuation
            case .finished, .delivered:
                return nil
            }
        }
        waiting?.resume(returning: outcome)
    }
}
