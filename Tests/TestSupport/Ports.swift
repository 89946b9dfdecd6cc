import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Loopback ports for peers that cannot be told "port 0" (Kamailio, sipp).
public enum Ports {
    /// A port that is free for both UDP and TCP on `host` right now (the kernel picks it).
    public static func free(on host: String = "127.0.0.1") throws -> Int {
        for _ in 0..<20 {
            let port = try bindAndRelease(host: host, type: SOCK_STREAM, port: 0)
            if (try? bindAndRelease(host: host, type: SOCK_DGRAM, port: port)) != nil { return port }
        }
        throw HarnessError.failed("no free port on \(host)")
    }

    private static func bindAndRelease(host: String, type: __socket_type, port: Int) throws -> Int {
        let descriptor = socket(AF_INET, Int32(type.rawValue), 0)
        guard descriptor >= 0 else { throw HarnessError.failed("socket() failed") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw HarnessError.failed("port \(port) is taken") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether some process has bound UDP `port` (read from /proc/net/udp and udp6).
    public static func isBound(udp port: Int) -> Bool {
        let needle = String(format: ":%04X ", port)
        return ["/proc/net/udp", "/proc/net/udp6"].contains { path in
            (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: "\n").dropFirst().contains { line in
                line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.map { "\($0) ".hasSuffix(needle) } ?? false
            } ?? false
        }
    }

    /// Waits until UDP `port` is bound, or fails after `seconds`.
    public static func waitUntilBound(udp port: Int, by process: ManagedProcess, within seconds: Double = 10) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !isBound(udp: port) {
            guard process.isRunning, ContinuousClock.now < deadline else {
                throw HarnessError.timeout("\(process.name) did not bind UDP port \(port); stderr:\n\(process.standardError.suffix(3000))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
