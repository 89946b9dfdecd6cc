import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Where tasks leave questions for the resolver thread, and how they wake it.
///
/// The thread sleeps in `poll(2)`; a byte on the wake-up pipe ends the sleep. Writing that
/// byte and closing the pipe both happen under the lock, so no task writes to a closed (or
/// reused) descriptor after the thread has gone.
final class ResolverMailbox: Sendable {
    private struct Contents {
        var queries: [DNSQuery] = []
        var isStopping = false
        /// The wake-up pipe's write end; -1 once closed.
        var wakeDescriptor: Int32
    }

    private let contents: Mutex<Contents>

    /// A mailbox that wakes the thread through `wakeDescriptor` (non-blocking).
    init(wakeDescriptor: Int32) {
        contents = Mutex(Contents(wakeDescriptor: wakeDescriptor))
    }

    /// Leaves `query` for the thread; returns `false` when the resolver is stopping.
    func submit(_ query: DNSQuery) -> Bool {
        contents.withLock { contents in
            guard !contents.isStopping else { return false }
            contents.queries.append(query)
            Self.wake(contents.wakeDescriptor)
            return true
        }
    }

    /// Asks the thread to stop: it fails what is pending and closes the resolver.
    func stop() {
        contents.withLock { contents in
            contents.isStopping = true
            Self.wake(contents.wakeDescriptor)
        }
    }

    /// The queries left since the last call, or `nil` once the resolver is stopping.
    func takeQueries() -> [DNSQuery]? {
        contents.withLock { contents in
            guard !contents.isStopping else { return nil }
            defer { contents.queries.removeAll(keepingCapacity: true) }
            return contents.queries
        }
    }

    /// Closes the mailbox for good: no more submissions, the pipe's write end is closed, and
    /// the queries still in it are returned for the thread to fail.
    func close() -> [DNSQuery] {
        contents.withLock { contents in
            contents.isStopping = true
            if contents.wakeDescriptor >= 0 {
                _ = Glibc.close(contents.wakeDescriptor)
                contents.wakeDescriptor = -1
            }
            defer { contents.queries = [] }
            return contents.queries
        }
    }

    private static func wake(_ descriptor: Int32) {
        guard descriptor >= 0 else { return }
        var byte: UInt8 = 1
        // A full pipe (EAGAIN) already holds a wake-up.
        _ = write(descriptor, &byte, 1)
    }
}
