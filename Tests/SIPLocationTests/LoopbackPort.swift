#if canImport(Glibc)
import Glibc
#endif

/// Loopback ports for servers that cannot be told "port 0" (dnsmasq), and UDP sockets
/// that never answer.
enum LoopbackPort {
    /// A port on 127.0.0.1 that is free for both UDP and TCP right now (the kernel picks it).
    static func free() throws -> Int {
        for _ in 0..<20 {
            let udp = try BoundSocket(type: SOCK_DGRAM, port: 0)
            if (try? BoundSocket(type: SOCK_STREAM, port: udp.port)) != nil { return udp.port }
        }
        throw TestFailure("no free port on 127.0.0.1")
    }

    /// Whether some process has bound UDP `port` (read from /proc/net/udp).
    static func isBound(udp port: Int) -> Bool {
        guard let file = fopen("/proc/net/udp", "r") else { return false }
        defer { fclose(file) }
        let needle = ":" + String(port, radix: 16, uppercase: true).leftPadded(to: 4) + " "
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // "  sl  local_address rem_address ...": the local address is the second field.
            let fields = text.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count > 1, "\(fields[1]) ".hasSuffix(needle) { return true }
        }
        return false
    }
}

/// A socket bound to 127.0.0.1, closed when released. A bound UDP socket that nobody
/// reads is a DNS server that never answers.
final class BoundSocket: Sendable {
    let descriptor: Int32
    let port: Int

    init(type: __socket_type, port: Int) throws {
        let descriptor = socket(AF_INET, Int32(type.rawValue), 0)
        guard descriptor >= 0 else { throw TestFailure("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw TestFailure("cannot bind 127.0.0.1:\(port)")
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit {
        close(descriptor)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
