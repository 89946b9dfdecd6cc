import CCAres

#if canImport(Glibc)
import Glibc
#endif

/// The body of the ``DNSResolverThread``: one c-ares channel, driven by `poll(2)`.
///
/// Everything here runs on that one thread (c-ares channels are not thread-safe), so the
/// class is deliberately not `Sendable`; it reaches the thread as an unmanaged pointer and
/// is never touched by anyone else.
final class CAresChannelLoop {
    private var channel: OpaquePointer?
    private var wakeDescriptor: Int32
    private let mailbox: ResolverMailbox
    /// Queries sent and not yet finished, watched for their deadlines.
    private var active: [DNSQuery] = []

    init(channel: OpaquePointer, wakeDescriptor: Int32, mailbox: ResolverMailbox) {
        self.channel = channel
        self.wakeDescriptor = wakeDescriptor
        self.mailbox = mailbox
    }

    /// Sends queries and processes answers until the mailbox says stop, then tears down.
    func run() {
        while let channel, let submitted = mailbox.takeQueries() {
            for query in submitted where !query.isFinished {
                send(query, on: channel)
            }
            let now = ContinuousClock.now
            for query in active where query.deadline <= now {
                query.finish(.failure(.timeout(name: query.question.name, after: query.timeout)))
            }
            active.removeAll { $0.isFinished }
            waitAndProcess(channel, now: now)
        }
        tearDown()
    }

    /// Destroys the channel (c-ares then fails every pending query with
    /// `ARES_EDESTRUCTION`), closes the pipe, and fails what is still in the mailbox.
    func tearDown() {
        if let channel {
            ares_destroy(channel)
            self.channel = nil
        }
        if wakeDescriptor >= 0 {
            close(wakeDescriptor)
            wakeDescriptor = -1
        }
        for query in mailbox.close() {
            query.finish(.failure(.resolverUnavailable(reason: "the resolver has been shut down")))
        }
        active = []
    }

    private func send(_ query: DNSQuery, on channel: OpaquePointer) {
        active.append(query)
        // c-ares calls the callback exactly once per query (also on error or destruction),
        // which releases this reference.
        let context = Unmanaged.passRetained(query).toOpaque()
        ares_query(
            channel, query.question.name, 1 /* class IN */, query.question.type.rawValue,
            { context, status, _, reply, length in
                guard let context else { return }
                let query = Unmanaged<DNSQuery>.fromOpaque(context).takeRetainedValue()
                let bytes = reply.map { UnsafeBufferPointer(start: $0, count: Int(max(0, length))) }
                query.finish(DNSResponse.from(status: status, reply: bytes, question: query.question, timeout: query.timeout))
            }, context)
    }

    /// Sleeps until a socket is ready, c-ares's next timeout, or the nearest deadline, and
    /// lets c-ares process what happened.
    private func waitAndProcess(_ channel: OpaquePointer, now: ContinuousClock.Instant) {
        var sockets = [ares_socket_t](repeating: ARES_SOCKET_BAD, count: Int(ARES_GETSOCK_MAXNUM))
        let bits = ares_getsock(channel, &sockets, ARES_GETSOCK_MAXNUM)
        var descriptors = [pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0)]
        for index in sockets.indices {
            var events: Int16 = 0
            if sipfence_ares_socket_readable(bits, Int32(index)) != 0 { events |= Int16(POLLIN) }
            if sipfence_ares_socket_writable(bits, Int32(index)) != 0 { events |= Int16(POLLOUT) }
            if events != 0 { descriptors.append(pollfd(fd: sockets[index], events: events, revents: 0)) }
        }

        let ready = poll(&descriptors, nfds_t(descriptors.count), pollTimeout(channel, now: now))
        guard ready > 0 else {
            // Nothing ready (or EINTR): let c-ares handle its timeouts and retries.
            ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD)
            return
        }
        if descriptors[0].revents != 0 { drainWakeUps() }
        var processed = false
        for descriptor in descriptors.dropFirst() where descriptor.revents != 0 {
            let failed = descriptor.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0
            let readable = failed || descriptor.revents & Int16(POLLIN) != 0
            let writable = descriptor.revents & Int16(POLLOUT) != 0
            ares_process_fd(channel, readable ? descriptor.fd : ARES_SOCKET_BAD, writable ? descriptor.fd : ARES_SOCKET_BAD)
            processed = true
        }
        if !processed { ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD) }
    }

    /// Milliseconds until c-ares wants to act or the nearest deadline passes; -1 for none.
    private func pollTimeout(_ channel: OpaquePointer, now: ContinuousClock.Instant) -> Int32 {
        var milliseconds: Int64 = -1
        var storage = timeval()
        if let next = ares_timeout(channel, nil, &storage) {
            milliseconds = Int64(next.pointee.tv_sec) * 1000 + (Int64(next.pointee.tv_usec) + 999) / 1000
        }
        if let deadline = active.lazy.map(\.deadline).min() {
            let remaining = now.duration(to: deadline)
            let untilDeadline =
                max(0, remaining.components.seconds * 1000 + (remaining.components.attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
            milliseconds = milliseconds < 0 ? untilDeadline : min(milliseconds, untilDeadline)
        }
        return Int32(clamping: milliseconds)
    }

    private func drainWakeUps() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(wakeDescriptor, &buffer, buffer.count) > 0 {}
    }
}
