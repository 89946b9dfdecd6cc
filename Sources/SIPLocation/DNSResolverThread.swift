import CCAres

#if canImport(Glibc)
import Glibc
#endif

/// A thread of its own that runs one c-ares channel and answers questions for tasks.
///
/// c-ares 1.18 has no event thread of its own, and a channel may be used from one thread
/// at a time. Waiting on its sockets in a task would block one of Swift's few cooperative
/// threads, so the channel lives on this dedicated thread: tasks leave questions in a
/// ``ResolverMailbox`` and suspend; the thread sends them, waits in `poll(2)` on the
/// channel's sockets, and resumes each task when its answer, its deadline, or an error
/// comes. Many questions are in flight at once on the one channel.
///
/// The thread stops when this object is released: pending questions then fail with
/// ``SIPLocationError/resolverUnavailable(reason:)``, and the channel is destroyed.
final class DNSResolverThread: Sendable {
    /// How long a question may go unanswered, retries included.
    let timeout: Duration
    private let mailbox: ResolverMailbox

    /// The outcome of `ares_library_init`, run once per process before the first channel.
    private static let libraryStatus: Int32 = ares_library_init(ARES_LIB_INIT_ALL)

    /// Starts a thread with a channel that asks `servers` (`"127.0.0.1:5353"`, `"[::1]:53"`;
    /// `nil` for the system's `/etc/resolv.conf`) and gives up on a question after `timeout`.
    ///
    /// - Throws: ``SIPLocationError/resolverUnavailable(reason:)`` when c-ares cannot start,
    ///   the server list cannot be read, or the thread cannot be created.
    init(servers: [String]?, timeout: Duration) throws(SIPLocationError) {
        guard Self.libraryStatus == ARES_SUCCESS else {
            throw .resolverUnavailable(reason: "c-ares could not initialise: \(DNSResponse.reason(Self.libraryStatus))")
        }
        guard timeout > .zero else { throw .resolverUnavailable(reason: "the DNS timeout must be positive, not \(timeout)") }
        self.timeout = timeout
        let channel = try Self.makeChannel(servers: servers, timeout: timeout)
        guard let pipeDescriptors = Self.makeWakeUpPipe() else {
            ares_destroy(channel)
            throw .resolverUnavailable(reason: "cannot create the resolver's wake-up pipe: \(String(cString: strerror(errno)))")
        }
        mailbox = ResolverMailbox(wakeDescriptor: pipeDescriptors[1])
        let loop = CAresChannelLoop(channel: channel, wakeDescriptor: pipeDescriptors[0], mailbox: mailbox)

        // The loop (and with it the channel) belongs to the new thread from here on.
        let context = Unmanaged.passRetained(loop).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(
            &thread, nil,
            { context in
                guard let context else { return nil }
                Unmanaged<CAresChannelLoop>.fromOpaque(context).takeRetainedValue().run()
                return nil
            }, context)
        guard created == 0 else {
            Unmanaged<CAresChannelLoop>.fromOpaque(context).release()
            loop.tearDown()
            throw .resolverUnavailable(reason: "cannot start the resolver thread: \(String(cString: strerror(created)))")
        }
        pthread_detach(thread)
    }

    deinit {
        mailbox.stop()
    }

    /// Asks `question` and waits for the response, at most ``timeout`` (plus scheduling).
    ///
    /// Never blocks a thread: the task suspends until the resolver thread resumes it. A
    /// cancelled task gets ``SIPLocationError/cancelled`` at once.
    func ask(_ question: DNSQuestion) async -> DNSQuery.Outcome {
        let query = DNSQuery(question, timeout: timeout)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                query.wait(with: continuation)
                if !mailbox.submit(query) {
                    query.finish(.failure(.resolverUnavailable(reason: "the resolver has been shut down")))
                }
            }
        } onCancel: {
            query.finish(.failure(.cancelled))
        }
    }

    /// A pipe whose ends do not block and are not inherited by child processes: `[read, write]`.
    private static func makeWakeUpPipe() -> [Int32]? {
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else { return nil }
        for descriptor in descriptors {
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        }
        return descriptors
    }

    /// A c-ares channel with sipfence's options: per-try timeouts that fit `timeout` and
    /// the given servers.
    private static func makeChannel(servers: [String]?, timeout: Duration) throws(SIPLocationError) -> OpaquePointer {
        // c-ares doubles the per-try timeout on each round over the servers: with two tries
        // against one server, a third of the budget and then two thirds use it up. The
        // query's own deadline bounds the total with more servers.
        var options = ares_options()
        let milliseconds = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        options.timeout = Int32(clamping: max(50, milliseconds / 3))
        options.tries = 2
        var channel: OpaquePointer?
        let status = ares_init_options(&channel, &options, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES)
        guard status == ARES_SUCCESS, let channel else {
            throw .resolverUnavailable(reason: "c-ares could not create a channel: \(DNSResponse.reason(status))")
        }
        guard let servers else { return channel }
        guard !servers.isEmpty else {
            ares_destroy(channel)
            throw .resolverUnavailable(reason: "the DNS server list is empty")
        }
        let list = servers.joined(separator: ",")
        let set = ares_set_servers_ports_csv(channel, list)
        guard set == ARES_SUCCESS else {
            ares_destroy(channel)
            throw .resolverUnavailable(
                reason: "the DNS server list \(String(reflecting: list)) is not addresses with optional ports: \(DNSResponse.reason(set))")
        }
        return channel
    }
}
