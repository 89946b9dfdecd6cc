import Foundation
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// One named Linux network namespace (`ip netns add`), as the deployment tests use it: a
/// process runs in it through `ip netns exec`, and a socket can be opened in it, so the
/// test process (in the host's namespace) can reach addresses that exist only there —
/// such as the namespace's own loopback, where baresip's control socket listens.
///
/// ``NetworkTopology`` creates and deletes namespaces; this type only uses one.
struct NetworkNamespace: Sendable, Hashable, CustomStringConvertible {
    let name: String

    var description: String { name }

    /// `ip` from iproute2.
    static let ip: String = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    } ?? "/usr/sbin/ip"

    /// The file `ip netns add` bind-mounts the namespace on.
    var path: String { "/run/netns/\(name)" }

    /// Starts `executable` in this namespace. `ip netns exec` executes the command in
    /// place (no fork), so the process's pid and process group are the command's own and
    /// ``ManagedProcess/stop()`` reaches it.
    func start(_ executable: String, arguments: [String], name: String? = nil) throws -> ManagedProcess {
        try ManagedProcess.start(
            Self.ip, arguments: ["netns", "exec", self.name, executable] + arguments,
            name: name ?? "\(URL(fileURLWithPath: executable).lastPathComponent) in \(self.name)")
    }

    /// Starts `executable` in this namespace, runs `body`, and stops the process however
    /// `body` ends.
    func run<Result>(
        _ executable: String, arguments: [String], name: String? = nil, body: (ManagedProcess) async throws -> Result
    ) async throws -> Result {
        let process = try start(executable, arguments: arguments, name: name)
        do {
            let result = try await body(process)
            await process.stop()
            return result
        } catch {
            await process.stop()
            throw error
        }
    }

    /// Runs `executable` in this namespace to its end; throws unless it exits with 0.
    @discardableResult
    func execute(_ executable: String, _ arguments: [String], within seconds: Double = 20) async throws -> String {
        try await NetworkNamespace.execute(Self.ip, ["netns", "exec", name, executable] + arguments, within: seconds)
    }

    /// Runs a short command (`ip …`, `tshark …`) to its end and returns its standard output;
    /// throws ``HarnessError/failed(_:)`` with its standard error unless it exits with 0.
    @discardableResult
    static func execute(_ executable: String, _ arguments: [String], within seconds: Double = 20) async throws -> String {
        let (status, output, errors) = try await status(of: executable, arguments, within: seconds)
        guard status == 0 else {
            throw HarnessError.failed("`\(([executable] + arguments).joined(separator: " "))` exited with \(status): \(errors)")
        }
        return output
    }

    /// Runs a short command to its end: its exit status, standard output and standard error.
    static func status(of executable: String, _ arguments: [String], within seconds: Double = 20) async throws -> (Int32, String, String) {
        try await ManagedProcess.run(executable, arguments: arguments) { process in
            let status = try await process.waitForExit(within: seconds)
            return (status, process.standardOutput, process.standardError)
        }
    }

    /// The pids of every process in this namespace (`ip netns pids`); empty when none or
    /// when the namespace is gone.
    func processIdentifiers() async -> [pid_t] {
        guard let (_, output, _) = try? await Self.status(of: Self.ip, ["netns", "pids", name]) else { return [] }
        return output.split(whereSeparator: \.isWhitespace).compactMap { pid_t($0) }
    }

    /// A TCP connection from inside this namespace to `host`:`port` (an IPv4 address).
    ///
    /// A socket belongs to the network namespace it was created in, whichever thread uses
    /// it later: a fresh thread enters the namespace (`setns`), creates the socket and
    /// ends, so no thread of the test process stays in the namespace.
    func connect(toIPv4 host: String, port: Int) async throws -> Int32 {
        let descriptor = try await makeSocket(domain: AF_INET, type: Int32(SOCK_STREAM.rawValue))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(descriptor)
            throw HarnessError.failed("not an IPv4 address: \(host)")
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw HarnessError.failed("connecting to \(host):\(port) in \(name): \(reason)")
        }
        return descriptor
    }

    /// A new socket of `domain` and `type` in this namespace.
    func makeSocket(domain: Int32, type: Int32) async throws -> Int32 {
        let path = self.path
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try Self.makeSocketOnThisThread(namespacePath: path, domain: domain, type: type) })
            }
        }
    }

    /// Enters the namespace at `namespacePath` and creates a socket there. Only for a
    /// thread that ends right afterwards: it does not go back.
    private static func makeSocketOnThisThread(namespacePath: String, domain: Int32, type: Int32) throws -> Int32 {
        // glibc declares setns(2) only under _GNU_SOURCE, which the Swift Glibc module
        // does not see; look the symbol up instead.
        typealias SetNamespace = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "setns") else { throw HarnessError.failed("setns is not available") }
        let setNamespace = unsafeBitCast(symbol, to: SetNamespace.self)
        let namespace = open(namespacePath, O_RDONLY | O_CLOEXEC)
        guard namespace >= 0 else { throw HarnessError.failed("opening \(namespacePath): \(String(cString: strerror(errno)))") }
        defer { close(namespace) }
        let cloneNewNet: Int32 = 0x4000_0000  // CLONE_NEWNET, likewise hidden behind _GNU_SOURCE
        guard setNamespace(namespace, cloneNewNet) == 0 else {
            throw HarnessError.failed("entering \(namespacePath): \(String(cString: strerror(errno)))")
        }
        let descriptor = socket(domain, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw HarnessError.failed("socket() in \(namespacePath): \(String(cString: strerror(errno)))") }
        return descriptor
    }

    /// Whether some process in the network namespace of process `pid` has bound `port`:
    /// UDP, or TCP in the LISTEN state. `/proc/PID/net` shows the sockets of that
    /// process's namespace, where `/proc/net` would show the test's own.
    static func isBound(port: Int, udp: Bool, by pid: pid_t) -> Bool {
        let needle = String(format: ":%04X", port)
        let files = udp ? ["udp", "udp6"] : ["tcp", "tcp6"]
        return files.contains { file in
            guard let table = try? String(contentsOfFile: "/proc/\(pid)/net/\(file)", encoding: .utf8) else { return false }
            return table.split(separator: "\n").dropFirst().contains { line in
                let columns = line.split(separator: " ", omittingEmptySubsequences: true)
                guard columns.count > 3, columns[1].hasSuffix(needle) else { return false }
                return udp || columns[3] == "0A"  // TCP_LISTEN
            }
        }
    }

    /// Waits until `port` is bound for UDP and listened on for TCP in `process`'s namespace
    /// (start `process` in a namespace where nothing else uses `port`).
    static func waitUntilListening(port: Int, by process: ManagedProcess, within seconds: Double = 10) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !(isBound(port: port, udp: true, by: process.processIdentifier) && isBound(port: port, udp: false, by: process.processIdentifier)) {
            guard process.isRunning, ContinuousClock.now < deadline else {
                throw HarnessError.timeout(
                    "\(process.name) did not bind UDP and TCP port \(port); stdout:\n\(process.standardOutput.suffix(2000))\nstderr:\n\(process.standardError.suffix(3000))"
                )
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
