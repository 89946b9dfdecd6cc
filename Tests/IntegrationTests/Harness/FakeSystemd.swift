import Foundation
import Synchronization
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Plays systemd's side of the notify protocol: a bound `AF_UNIX` datagram socket whose
/// path is given to the daemon as `NOTIFY_SOCKET`; every datagram it receives is kept.
final class FakeSystemd: Sendable {
    /// What the reading thread and the test share.
    private final class Inbox: Sendable {
        let messages = Mutex<[String]>([])
        let stopped = Mutex(false)
    }

    let path: String
    private let descriptor: Int32
    private let inbox = Inbox()

    init(directory: URL) throws {
        let path = directory.appendingPathComponent("notify.sock").path
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw HarnessError.failed("socket(AF_UNIX) failed") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else {
            close(descriptor)
            throw HarnessError.failed("bind(\(path)) failed")
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        self.path = path
        self.descriptor = descriptor
        let inbox = self.inbox
        // A plain thread: recv(2) blocks (100 ms at a time), which must not hold a task.
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !inbox.stopped.withLock({ $0 }) {
                let count = recv(descriptor, &buffer, buffer.count, 0)
                if count > 0 {
                    let message = String(decoding: buffer[0..<count], as: UTF8.self)
                    inbox.messages.withLock { $0.append(message) }
                }
            }
        }
    }

    deinit {
        inbox.stopped.withLock { $0 = true }
        // Give the reader one receive timeout to notice before the socket goes.
        usleep(150_000)
        close(descriptor)
        unlink(path)
    }

    var messages: [String] { inbox.messages.withLock { $0 } }

    /// Waits until a message contains `text` after the first `skipping` messages; returns its index.
    @discardableResult
    func waitFor(_ text: String, after skipping: Int = 0, within seconds: Double = 10) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            let current = messages
            if let index = current.indices.first(where: { $0 >= skipping && current[$0].contains(text) }) { return index }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessError.timeout("no notify message containing \(text); got \(messages)")
    }
}
