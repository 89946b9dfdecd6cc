import Foundation
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A plain UDP socket on a loopback address, for sending recorded payloads from the
/// address they were recorded from and for playing a silent upstream.
final class UDPSocket {
    let descriptor: Int32
    let family: Int32
    let port: Int

    /// A socket bound to `host` (IPv4 or IPv6 literal) and a port the kernel picks.
    init(bindingTo host: String) throws {
        let family = host.contains(":") ? AF_INET6 : AF_INET
        let descriptor = socket(family, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw HarnessError.failed("socket() failed") }
        var storage = try Self.address(host, port: 0)
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_storage>.size)) }
        }
        guard bound == 0 else {
            close(descriptor)
            throw HarnessError.failed("bind(\(host)) failed: \(String(cString: strerror(errno)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        var local = sockaddr_storage()
        _ = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.port = withUnsafeBytes(of: local) { raw in
            Int(UInt16(bigEndian: raw.load(fromByteOffset: 2, as: UInt16.self)))
        }
        self.family = family
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    func send(_ bytes: [UInt8], to host: String, port: Int) throws {
        var storage = try Self.address(host, port: port)
        let sent = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bytes.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, 0, address, socklen_t(MemoryLayout<sockaddr_storage>.size)) }
            }
        }
        guard sent == bytes.count else { throw HarnessError.failed("sendto failed: \(String(cString: strerror(errno)))") }
    }

    /// The next datagram, or `nil` after `seconds`.
    func receive(within seconds: Double) -> [UInt8]? {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(seconds * 1000)) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        return count > 0 ? Array(buffer[0..<count]) : nil
    }

    /// The socket address of an IP literal and port (shared with ``TCPClient``).
    static func address(_ host: String, port: Int) throws -> sockaddr_storage {
        var storage = sockaddr_storage()
        let ok: Bool = withUnsafeMutableBytes(of: &storage) { raw in
            if host.contains(":") {
                var address = sockaddr_in6()
                address.sin6_family = sa_family_t(AF_INET6)
                address.sin6_port = in_port_t(UInt16(port).bigEndian)
                guard inet_pton(AF_INET6, host, &address.sin6_addr) == 1 else { return false }
                withUnsafeBytes(of: address) { raw.copyMemory(from: $0) }
            } else {
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = in_port_t(UInt16(port).bigEndian)
                guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return false }
                withUnsafeBytes(of: address) { raw.copyMemory(from: $0) }
            }
            return true
        }
        guard ok else { throw HarnessError.failed("\(host) is not an IP address") }
        return storage
    }
}
