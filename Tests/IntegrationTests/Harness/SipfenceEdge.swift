import Foundation
import TestSupport

/// sipfence deployed at the edge of a ``NetworkTopology``: callers on the outside
/// interface (`sip.listen`), the upstream proxy on the inside one (`sip.upstream_listen`),
/// with the policy for `example.test` imported before it starts (`policy import`) — the
/// API listens on the edge namespace's loopback, out of the test's reach.
enum SipfenceEdge {
    static let domain = "example.test"

    /// Writes the configuration and the policy into `directory`, imports the policy,
    /// starts the daemon in `topology.edge`, waits until it announced every socket, runs
    /// `body`, and stops it.
    static func run<Result>(
        upstreamTransport: SIPTransport, topology: NetworkTopology, directory: URL, body: (ManagedProcess) async throws -> Result
    ) async throws -> Result {
        let configuration = try writeConfiguration(upstreamTransport: upstreamTransport, in: directory)
        let policy = directory.appendingPathComponent("policy.yaml")
        try policyDocument.write(to: policy, atomically: true, encoding: .utf8)
        try await NetworkNamespace.execute(SipfenceDaemon.executable, ["policy", "import", "--config", configuration, policy.path])
        return try await topology.edge.run(SipfenceDaemon.executable, arguments: ["run", "--config", configuration], name: "sipfence") { daemon in
            _ = try await daemon.waitForOutput { lines in
                announced.allSatisfy { lines.contains($0) } && lines.contains { $0.hasPrefix("listening http ") }
            }
            return try await body(daemon)
        }
    }

    /// The SIP sockets: outside (IPv4 and IPv6, UDP and TCP) and inside (IPv4).
    static let outsideSockets = ["udp", "tcp"].map { "\($0):\(NetworkTopology.outsideIPv4):5060" }
        + ["udp", "tcp"].map { "\($0):[\(NetworkTopology.outsideIPv6)]:5060" }
    static let insideSockets = ["udp", "tcp"].map { "\($0):\(NetworkTopology.insideIPv4):5060" }

    /// The `listening …` lines the daemon prints for its SIP sockets (` upstream` after
    /// those of `sip.upstream_listen`).
    static var announced: [String] {
        func line(_ socket: String) -> String {
            let transport = socket.prefix { $0 != ":" }
            return "listening \(transport) \(socket.dropFirst(transport.count + 1))"
        }
        return outsideSockets.map(line) + insideSockets.map { line($0) + " upstream" }
    }

    static func writeConfiguration(upstreamTransport: SIPTransport, in directory: URL) throws -> String {
        func list(_ sockets: [String]) -> String { "[" + sockets.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
        return try SipfenceDaemon.writeConfiguration(
            in: directory,
            sockets: """
                listen: \(list(outsideSockets))
                upstream_listen: \(list(insideSockets))
                upstream: \(upstreamTransport.rawValue):\(NetworkTopology.upstreamIPv4):5060
                """)
    }

    /// `example.test`, admitting the caller's two addresses.
    static var policyDocument: String {
        """
        accounts:
          - sid: \(SipfenceDaemon.accountSID)
            ip_access_control_lists:
              - friendly_name: callers
                ip_addresses:
                  - ip_address: \(NetworkTopology.callerIPv4)
                  - ip_address: \(NetworkTopology.callerIPv6)
            domains:
              - domain_name: \(domain)
                friendly_name: deployment test
                auth_calls_ip_access_control_list_mappings: [callers]

        """
    }
}
