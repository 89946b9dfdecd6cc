import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A real DNS server for tests: Debian's dnsmasq, authoritative for `example.test` on a
/// loopback port picked at run time, serving the records of a ``TestZone``.
///
/// Start it with ``run(_:body:)``, which stops it however the body ends; a test may also
/// stop it earlier (to show that answers come from the cache).
final class DNSMasq: Sendable {
    /// The UDP and TCP port it listens on, on 127.0.0.1.
    let port: Int
    /// `"127.0.0.1:<port>"`, as ``CAresServerLocator`` takes servers.
    var server: String { "127.0.0.1:\(port)" }

    private let processIdentifier: pid_t
    private let logPath: String
    private let stopped = Mutex(false)

    static let executable = "/usr/sbin/dnsmasq"

    private init(port: Int, processIdentifier: pid_t, logPath: String) {
        self.port = port
        self.processIdentifier = processIdentifier
        self.logPath = logPath
    }

    /// Starts dnsmasq with `zone`, runs `body`, and stops dnsmasq on every path.
    static func run<Result>(_ zone: TestZone, body: (DNSMasq) async throws -> Result) async throws -> Result {
        let server = try await start(zone)
        defer { server.stop() }
        return try await body(server)
    }

    private static func start(_ zone: TestZone) async throws -> DNSMasq {
        guard access(executable, X_OK) == 0 else {
            throw TestFailure("\(executable) is missing: run scripts/install-deps.sh --tests")
        }
        let port = try LoopbackPort.free()
        let logPath = "/tmp/sipfence-dnsmasq-\(getpid())-\(port).log"
        let arguments = [
            "--no-daemon", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--log-facility=-",
            "--port=\(port)", "--listen-address=127.0.0.1", "--bind-interfaces",
            // Authoritative answers carry an SOA in negative replies (RFC 2308) and
            // give every record the zone's TTL.
            "--auth-server=ns.example.test,127.0.0.1", "--auth-zone=example.test", "--auth-ttl=\(zone.ttl)",
        ] + zone.arguments
        let processIdentifier = try spawn(executable, arguments: arguments, outputPath: logPath)
        let server = DNSMasq(port: port, processIdentifier: processIdentifier, logPath: logPath)
        do {
            try await server.waitUntilListening()
        } catch {
            server.stop()
            throw error
        }
        return server
    }

    /// Stops dnsmasq: SIGTERM, then SIGKILL after 5 s; waits for it to exit. Idempotent.
    func stop() {
        let alreadyStopped = stopped.withLock { stopped in
            defer { stopped = true }
            return stopped
        }
        guard !alreadyStopped else { return }
        defer { unlink(logPath) }
        kill(processIdentifier, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<500 {
            if waitpid(processIdentifier, &status, WNOHANG) == processIdentifier { return }
            usleep(10_000)
        }
        kill(processIdentifier, SIGKILL)
        _ = waitpid(processIdentifier, &status, 0)
    }

    /// What dnsmasq has logged so far.
    var log: String {
        guard let file = fopen(logPath, "r") else { return "" }
        defer { fclose(file) }
        var text = ""
        var buffer = [CChar](repeating: 0, count: 4096)
        while fgets(&buffer, Int32(buffer.count), file) != nil {
            text += String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return text
    }

    private func waitUntilListening() async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !LoopbackPort.isBound(udp: port) {
            var status: Int32 = 0
            if waitpid(processIdentifier, &status, WNOHANG) == processIdentifier {
                let output = log
                stopped.withLock { $0 = true }
                unlink(logPath)
                throw TestFailure("dnsmasq exited at start:\n\(output)")
            }
            guard ContinuousClock.now < deadline else { throw TestFailure("dnsmasq did not bind UDP port \(port):\n\(log)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Starts `executable` with an empty signal mask (the test runner's threads block
    /// signals, and a child would inherit that), standard input from /dev/null and its
    /// output into `outputPath`.
    private static func spawn(_ executable: String, arguments: [String], outputPath: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var processIdentifier: pid_t = 0
        let spawned = posix_spawn(&processIdentifier, executable, &actions, &attributes, argv, environ)
        guard spawned == 0 else { throw TestFailure("cannot start \(executable): \(String(cString: strerror(spawned)))") }
        return processIdentifier
    }
}

/// A failure of the test set-up, with what went wrong.
struct TestFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
