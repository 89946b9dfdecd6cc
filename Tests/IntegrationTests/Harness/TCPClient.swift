import Foundation
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection from a chosen loopback address, for playing abusive clients
/// (half-sent requests, floods) against the daemon.
final class TCPClient {
    let descriptor: Int32

    /// Connects from `source` (any port) to `host`:`port`.
    init(from source: String, to host: String, port: Int) throws {
        let family = host.contains(":") ? AF_INET6 : AF_INET
        let descriptor = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw HarnessError.failed("socket() failed") }
        var local = try UDPSocket.address(source, port: 0)
        var remote = try UDPSocket.address(host, port: port)
        let length = socklen_t(family == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, length) }
        }
        guard bound == 0, connected == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw HarnessError.failed("connecting from \(source) to \(host):\(port): \(reason)")
        }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Writes `text`; `false` when the connection is gone.
    @discardableResult
    func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// What arrives within `seconds`: bytes, `.closed` when the peer closed or reset the
    /// connection, `.silent` when nothing came.
    enum Arrival: Equatable {
        case bytes(String)
        case closed
        case silent
    }

    func receive(within seconds: Double) -> Arrival {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(seconds * 1000)) > 0 else { return .silent }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        return count > 0 ? .bytes(String(decoding: buffer[0..<count], as: UTF8.self)) : .closed
    }
}
