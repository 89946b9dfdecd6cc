import TestSupport

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

    private let process: ManagedProcess

    static let executable = "/usr/sbin/dnsmasq"

    private init(port: Int, process: ManagedProcess) {
        self.port = port
        self.process = process
    }

    /// Starts dnsmasq with `zone`, runs `body`, and stops dnsmasq on every path.
    static func run<Result>(_ zone: TestZone, body: (DNSMasq) async throws -> Result) async throws -> Result {
        guard access(executable, X_OK) == 0 else {
            throw HarnessError.failed("\(executable) is missing: run scripts/install-deps.sh --tests")
        }
        let port = try Ports.free()
        let arguments = [
            "--no-daemon", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--log-facility=-",
            "--port=\(port)", "--listen-address=127.0.0.1", "--bind-interfaces",
            // Authoritative answers carry an SOA in negative replies (RFC 2308) and
            // give every record the zone's TTL.
            "--auth-server=ns.example.test,127.0.0.1", "--auth-zone=example.test", "--auth-ttl=\(zone.ttl)",
        ] + zone.arguments
        return try await ManagedProcess.run(executable, arguments: arguments, name: "dnsmasq") { process in
            try await Ports.waitUntilBound(udp: port, by: process)
            return try await body(DNSMasq(port: port, process: process))
        }
    }

    /// Stops dnsmasq before ``run(_:body:)`` would: SIGTERM, then SIGKILL after 5 s.
    func stop() async {
        await process.stop()
    }

    /// What dnsmasq has logged so far.
    var log: String {
        process.standardError + process.standardOutput
    }
}
