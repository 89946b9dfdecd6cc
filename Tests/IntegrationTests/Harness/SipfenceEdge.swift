import Foundation

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
        let path = directory.appendingPathComponent("sipfence.yaml").path
        let yaml = """
            sip:
              listen: \(list(outsideSockets))
              upstream_listen: \(list(insideSockets))
              upstream: \(upstreamTransport.rawValue):\(NetworkTopology.upstreamIPv4):5060
              secret: 0123456789abcdef0123456789abcdef
              # Tests load the edge harder than any one caller would: no flood limits unless a
              # test sets them (through SIPFENCE_SIP_FLOOD_* variables).
              flood:
                unknown_source_rate: 0
                digest_failures_per_minute: 0
            api:
              listen: 127.0.0.1:0
            store:
              path: \(directory.appendingPathComponent("state/sipfence.sqlite").path)
            accounts:
              - sid: \(SipfenceDaemon.accountSID)
                auth_token: \(SipfenceDaemon.authToken)
                api_keys:
                  - sid: \(SipfenceDaemon.apiKeySID)
                    secret: \(SipfenceDaemon.apiKeySecret)
              - sid: \(SipfenceDaemon.otherAccountSID)
                auth_token: \(SipfenceDaemon.otherAuthToken)
            log:
              level: debug

            """
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
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
