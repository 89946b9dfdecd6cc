import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A real PostgreSQL server from Debian's packages, started for tests on a loopback port
/// chosen at run time, in a data directory of its own under /tmp.
///
/// PostgreSQL refuses to run as root, and CI runs as root: the server then runs as the
/// `postgres` user. It trusts every local connection (no passwords) and skips fsync, which
/// tests do not need. A watchdog beside it stops it and removes its directory if the test
/// process dies without stopping it; tests stop it themselves (``remove()``), or use the
/// process-wide ``shared()`` server.
public final class PostgresServer: Sendable {
    /// The TCP port on 127.0.0.1.
    public let port: Int
    /// The directory holding the data directory and the socket.
    public let directory: String
    /// With TLS: the server's self-signed certificate (PEM), for `127.0.0.1` (subject
    /// alternative name IP:127.0.0.1), which a client may trust as its CA.
    public let certificate: String?
    private let binaries: String
    private let process = Mutex<ManagedProcess?>(nil)

    private init(port: Int, directory: String, binaries: String, tls: Bool) {
        self.port = port
        self.directory = directory
        self.binaries = binaries
        self.certificate = tls ? "\(directory)/server.crt" : nil
    }

    /// The role every test database belongs to.
    public static let user = "sipfence"

    /// A new server with an empty cluster, running; with `tls`, it also accepts TLS
    /// connections, with a certificate made for it (``certificate``).
    ///
    /// - Throws: ``HarnessError`` when PostgreSQL is not installed
    ///   (`scripts/install-deps.sh --tests` installs it) or does not start.
    public static func start(tls: Bool = false) async throws -> PostgresServer {
        let binaries = try binaryDirectory()
        let directory = try makeDirectory()
        let server = PostgresServer(port: try Ports.free(), directory: directory, binaries: binaries, tls: tls)
        do {
            if tls {
                let openssl = try startAsPostgres(
                    [
                        "/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", "\(directory)/server.key", "-out", "\(directory)/server.crt",
                    ], name: "openssl")
                guard try await openssl.waitForExit(within: 60) == 0 else {
                    throw HarnessError.failed("openssl could not make a certificate: \(openssl.standardError)")
                }
                // PostgreSQL refuses a key others may read.
                guard chmod("\(directory)/server.key", 0o600) == 0 else {
                    throw HarnessError.failed("cannot restrict the server's key")
                }
            }
            let initdb = try startAsPostgres(
                [
                    "\(binaries)/initdb", "-D", "\(directory)/data", "-A", "trust", "-U", user, "--no-sync", "-E", "UTF8",
                    "--locale=C.UTF-8",
                ], name: "initdb")
            guard try await initdb.waitForExit(within: 60) == 0 else {
                throw HarnessError.failed("initdb failed:\n\(initdb.standardOutput)\n\(initdb.standardError)")
            }
            try await server.resume()
            return server
        } catch {
            await server.remove()
            throw error
        }
    }

    /// Runs `body` with a new server (see ``start(tls:)``), and removes the server however
    /// `body` ends.
    public static func with<Result>(tls: Bool = false, _ body: (PostgresServer) async throws -> Result) async throws -> Result {
        let server = try await start(tls: tls)
        do {
            let result = try await body(server)
            await server.remove()
            return result
        } catch {
            await server.remove()
            throw error
        }
    }

    /// One server for the whole test process, started on first use; its watchdog stops it
    /// when the process ends.
    public static func shared() async throws -> PostgresServer {
        let task = sharedServer.withLock { shared in
            if let shared { return shared }
            let task = Task { try await PostgresServer.start() }
            shared = task
            return task
        }
        return try await task.value
    }

    private static let sharedServer = Mutex<Task<PostgresServer, any Error>?>(nil)

    /// The URL of `database` on this server (`store.url`).
    public func url(database: String) -> String {
        "postgres://\(Self.user)@127.0.0.1:\(port)/\(database)"
    }

    /// Creates an empty database with a fresh name and returns its URL.
    public func makeDatabase() async throws -> String {
        let name = "sipfence_\(UInt64.random(in: 0...UInt64.max))"
        let createdb = try ManagedProcess.start(
            "\(binaries)/createdb", arguments: ["-h", "127.0.0.1", "-p", "\(port)", "-U", Self.user, name], name: "createdb")
        guard try await createdb.waitForExit(within: 30) == 0 else {
            throw HarnessError.failed("createdb failed: \(createdb.standardError)")
        }
        return url(database: name)
    }

    /// Starts the server again after ``stop()``, on the same port and data; returns once
    /// it accepts connections.
    public func resume() async throws {
        let watched = ProcessInfo.processInfo.processIdentifier
        // The watchdog: PostgreSQL in the background; a fast shutdown when the test asks
        // (SIGINT or SIGTERM), or when the test process is gone, and then, only in that
        // case, the directory is removed as well.
        let tls = certificate == nil ? "" : "-c ssl=on -c ssl_cert_file=$1/server.crt -c ssl_key_file=$1/server.key"
        let script = """
            "$0" -D "$1/data" -p "$2" -k "$1" -c listen_addresses=127.0.0.1 -c fsync=off \
                -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 \(tls) &
            server=$!
            trap 'kill -INT $server 2>/dev/null' INT TERM
            while [ -d /proc/$3 ] && kill -0 $server 2>/dev/null; do sleep 0.2; done
            kill -INT $server 2>/dev/null
            wait $server
            [ -d /proc/$3 ] || rm -rf "$1"
            """
        let started = try Self.startAsPostgres(
            ["/bin/sh", "-c", script, "\(binaries)/postgres", directory, "\(port)", "\(watched)"], name: "postgres")
        process.withLock { $0 = started }
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let ready = try ManagedProcess.start(
                "\(binaries)/pg_isready", arguments: ["-q", "-h", "127.0.0.1", "-p", "\(port)"], name: "pg_isready")
            if try await ready.waitForExit() == 0 { return }
            guard started.isRunning, ContinuousClock.now < deadline else {
                throw HarnessError.timeout("PostgreSQL did not start on port \(port):\n\(started.standardError.suffix(3000))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Stops the server (a fast shutdown: open connections are closed), keeping its data.
    public func stop() async {
        guard let running = process.withLock({ process in defer { process = nil }; return process }) else { return }
        running.send(SIGINT)
        if (try? await running.waitForExit(within: 20)) == nil { await running.stop() }
    }

    /// Stops the server and removes its directory.
    public func remove() async {
        await stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// What the server wrote to standard error (its log).
    public var log: String {
        process.withLock { $0?.standardError ?? "" }
    }

    // MARK: - Running as the postgres user

    /// Starts `command` as the `postgres` user when this process is root (PostgreSQL
    /// refuses to run as root), as this user otherwise.
    private static func startAsPostgres(_ command: [String], name: String) throws -> ManagedProcess {
        let words =
            getuid() == 0
            ? ["/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] + command : command
        return try ManagedProcess.start(words[0], arguments: Array(words.dropFirst()), name: name)
    }

    // MARK: - Setting up

    /// The newest installed server's `bin` directory.
    private static func binaryDirectory() throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap(Int.init).sorted()
        guard let version = versions.last(where: { FileManager.default.isExecutableFile(atPath: "\(root)/\($0)/bin/postgres") })
        else {
            throw HarnessError.failed(
                "PostgreSQL is not installed (no \(root)/*/bin/postgres): scripts/install-deps.sh --tests installs it")
        }
        return "\(root)/\(version)/bin"
    }

    /// A new directory under /tmp that the server's user owns.
    private static func makeDirectory() throws -> String {
        var template = Array("/tmp/sipfence-postgres.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError.failed("mkdtemp failed") }
        let directory = String(cString: made)
        if getuid() == 0 {
            guard let account = getpwnam("postgres") else {
                throw HarnessError.failed("there is no postgres user (the postgresql package makes it)")
            }
            guard chown(directory, account.pointee.pw_uid, account.pointee.pw_gid) == 0 else {
                throw HarnessError.failed("cannot give \(directory) to the postgres user")
            }
        }
        return directory
    }
}
