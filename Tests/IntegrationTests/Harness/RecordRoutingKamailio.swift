import Foundation
import TestSupport

/// Kamailio as a record-routing, transaction-stateful proxy in a network namespace: the
/// private proxy upstream of the edge (`kamailio-rr-upstream.cfg`), or — in the control
/// test — the edge itself (`kamailio-rr-edge.cfg`).
enum RecordRoutingKamailio {
    /// Starts Kamailio with the peer file `configuration` (its `@@KEY@@` placeholders
    /// filled from `values`) on `sockets` (`udp:HOST:5060`, …; all on port 5060) in
    /// `namespace`, waits until it listens, runs `body`, and stops it.
    static func run<Result>(
        _ configuration: String,
        values: [String: String],
        sockets: [String],
        in namespace: NetworkNamespace,
        directory: URL,
        body: (ManagedProcess) async throws -> Result
    ) async throws -> Result {
        let runtime = directory.appendingPathComponent("kamailio-\(namespace.name)")
        try FileManager.default.createDirectory(at: runtime, withIntermediateDirectories: true)
        let path = try PeerFiles.render(configuration, into: runtime, values)
        // -DD: stay in the foreground (children still fork); -E: log to stderr.
        var arguments = ["-f", path, "-DD", "-E", "-m", "64", "-M", "8", "-Y", runtime.path, "-P", runtime.appendingPathComponent("kamailio.pid").path]
        for socket in sockets { arguments += ["-l", socket] }
        return try await namespace.run(Kamailio.executable, arguments: arguments, name: "kamailio in \(namespace)") { kamailio in
            try await NetworkNamespace.waitUntilListening(port: 5060, by: kamailio)
            return try await body(kamailio)
        }
    }
}
