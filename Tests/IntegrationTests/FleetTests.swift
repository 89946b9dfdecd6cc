import Foundation
import Testing
import TestSupport

/// Several sipfence nodes on one PostgreSQL store, as a carrier runs its edge: a change
/// made through any node's API is enforced on every node's SIP path, and the nodes ride out
/// the database going away. The database is a real PostgreSQL server from Debian's packages
/// on a loopback port (TestSupport's ``PostgresServer``).
@Suite("A fleet of nodes on one PostgreSQL store", .serialized)
struct FleetTests {
    static let domain = "fleet.sipfence.test"
    /// The caller whose verdict the tests flip.
    static let caller = "127.0.0.3"

    /// The nodes' shared upstream: a socket that sees the INVITEs a node admits.
    final class Probe {
        let caller: UDPSocket
        let upstream: UDPSocket

        init() throws {
            caller = try UDPSocket(bindingTo: FleetTests.caller)
            upstream = try UDPSocket(bindingTo: "127.0.0.1")
        }

        /// Whether the node on `port` admits an INVITE from the caller now: `true` when it
        /// forwarded it to the upstream, `false` when it answered 403.
        func admits(nodePort port: Int, callID: String) throws -> Bool? {
            let invite = AbuseTests.invite(from: FleetTests.caller, port: caller.port, transport: "UDP", callID: callID)
                .replacingOccurrences(of: World.domain, with: FleetTests.domain)
            try caller.send(Array(invite.utf8), to: "127.0.0.1", port: port)
            let deadline = ContinuousClock.now + .seconds(2)
            while ContinuousClock.now < deadline {
                if let answer = caller.receive(within: 0.002).map({ String(decoding: $0, as: UTF8.self) }),
                    answer.contains("Call-ID: \(callID)")
                {
                    if answer.hasPrefix("SIP/2.0 403") { return false }
                }
                if let forwarded = upstream.receive(within: 0.002).map({ String(decoding: $0, as: UTF8.self) }),
                    forwarded.contains("Call-ID: \(callID)")
                {
                    return true
                }
            }
            return nil
        }

        /// Probes until the node on `port` gives `expected`, for at most `limit`; returns
        /// whether it did.
        func waitFor(_ expected: Bool, nodePort port: Int, limit: Duration = .seconds(10)) throws -> Bool {
            let start = ContinuousClock.now
            var attempt = 0
            while ContinuousClock.now - start < limit {
                attempt += 1
                if try admits(nodePort: port, callID: "fleet-\(port)-\(UInt32.random(in: 0...UInt32.max))-\(attempt)")
                    == expected
                {
                    return true
                }
            }
            return false
        }
    }

    /// Runs `sipfence` with `arguments` (and `environment`) to its end: its exit status,
    /// standard output and standard error.
    static func sipfence(
        _ arguments: [String], environment: [String: String] = [:]
    ) async throws -> (status: Int32, output: String, errors: String) {
        try await ManagedProcess.run(SipfenceDaemon.executable, arguments: arguments, environment: environment) { process in
            (try await process.waitForExit(), process.standardOutput, process.standardError)
        }
    }

    /// Runs `count` daemons on the store at `url`, all forwarding to `upstream`, and `body`
    /// with their SIP ports and API clients; stops them all however `body` ends.
    static func withNodes<Result>(
        _ count: Int, storeURL url: String, upstream: Int, in directory: URL,
        _ body: ([(sip: Int, api: APIClient)]) async throws -> Result
    ) async throws -> Result {
        func start(_ index: Int, _ started: [(sip: Int, api: APIClient)]) async throws -> Result {
            guard index < count else { return try await body(started) }
            let nodeDirectory = directory.appendingPathComponent("node\(index)")
            try FileManager.default.createDirectory(at: nodeDirectory, withIntermediateDirectories: true)
            let configuration = try SipfenceDaemon.writeConfiguration(
                in: nodeDirectory, upstream: "udp:127.0.0.1:\(upstream)")
            return try await SipfenceDaemon.run(
                // 404 for a domain a node does not know, so that a 403 means it knows the domain.
                configuration: configuration,
                environment: ["SIPFENCE_STORE_URL": url, "SIPFENCE_SIP_UNKNOWN_DOMAIN_STATUS": "404"]
            ) { _, listening, api in
                try await start(index + 1, started + [(listening.port(listening.udp4), api)])
            }
        }
        return try await start(0, [])
    }

    /// A node in a fleet: its SIP port (UDP, 127.0.0.1) and a client of its API.
    typealias Node = (sip: Int, api: APIClient)

    /// Runs `count` nodes on a new database of a server of their own, with the fleet's
    /// domain made through the first node (mapped to a list with 192.0.2.1) and learned by
    /// every other; `body` gets the server, the probe, the nodes and the list's SID.
    static func withProvisionedFleet(
        _ count: Int, _ body: (PostgresServer, Probe, [Node], String) async throws -> Void
    ) async throws {
        try await PostgresServer.with { server in
            let url = try await server.makeDatabase()
            let probe = try Probe()
            try await withTemporaryDirectory { directory in
                try await withNodes(count, storeURL: url, upstream: probe.upstream.port, in: directory) { nodes in
                    let (_, list) = try await nodes[0].api.provision(domain: domain, addresses: ["192.0.2.1"])
                    for node in nodes.dropFirst() {
                        try #require(try probe.waitFor(false, nodePort: node.sip), "a node did not learn the domain")
                    }
                    try await body(server, probe, nodes, list)
                }
            }
        }
    }

    @Test("a change through one node's API is enforced on every node's SIP path (200 changes, timed)")
    func changesReachEveryNode() async throws {
        try await Self.withProvisionedFleet(3) { _, probe, nodes, list in
            let (a, others) = (nodes[0], nodes.dropFirst())
            var delays: [Duration] = []
            var entry: String?
            for change in 0..<200 {
                let admitted = entry == nil
                let start: ContinuousClock.Instant
                if let sid = entry {
                    let deleted = try await a.api.request(
                        "DELETE", "\(a.api.accountPath)/IpAccessControlLists/\(list)/IpAddresses/\(sid).json")
                    start = .now
                    try #require(deleted.status == 204, "\(deleted.text)")
                    entry = nil
                } else {
                    let added = try await a.api.request(
                        "POST", "\(a.api.accountPath)/IpAccessControlLists/\(list)/IpAddresses.json",
                        form: [("FriendlyName", "change \(change)"), ("IpAddress", Self.caller)])
                    start = .now
                    try #require(added.status == 201, "\(added.text)")
                    entry = added.json["sid"] as? String
                }
                for node in others {
                    let seen = try probe.waitFor(admitted, nodePort: node.sip)
                    try #require(seen, "change \(change) did not reach a node within 10 s")
                    delays.append(.now - start)
                }
            }
            // Paging tokens name records, not a node: a page from A continues on B.
            for name in ["second", "third"] {
                let made = try await nodes[2].api.request(
                    "POST", "\(nodes[2].api.accountPath)/IpAccessControlLists.json", form: [("FriendlyName", name)])
                #expect(made.status == 201, "\(made.text)")
            }
            let first = try await a.api.request("GET", "\(a.api.accountPath)/IpAccessControlLists.json?PageSize=1")
            let next = try #require(first.json["next_page_uri"] as? String, "\(first.text)")
            let second = try await nodes[1].api.request("GET", next)
            #expect(second.status == 200, "\(second.text)")
            let names = [first, second].compactMap {
                (($0.json["ip_access_control_lists"] as? [[String: Any]])?.first?["friendly_name"]) as? String
            }
            #expect(names.count == 2 && Set(names).count == 2, "\(names)")

            let sorted = delays.sorted()
            func percentile(_ p: Double) -> Duration { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
            print(
                "fleet: API 2xx on node A → new verdict on nodes B and C, \(sorted.count) samples: "
                    + "p50 \(percentile(0.5)), p99 \(percentile(0.99)), max \(sorted.last ?? .zero)")
        }
    }

    @Test("with the database stopped, nodes keep enforcing and refuse writes; started again, they all catch up")
    func databaseAway() async throws {
        try await Self.withProvisionedFleet(2) { server, probe, nodes, list in
            let a = nodes[0]

            await server.stop()
            for node in nodes {
                #expect(try probe.admits(nodePort: node.sip, callID: "away-\(node.sip)") == false)
                let write = try await node.api.request(
                    "POST", "\(node.api.accountPath)/IpAccessControlLists/\(list)/IpAddresses.json",
                    form: [("FriendlyName", "away"), ("IpAddress", Self.caller)])
                #expect(write.status == 503, "\(write.text)")
                #expect(write.json["code"] as? Int == 20503, "\(write.text)")
                let health = try await node.api.request("GET", "/healthz")
                #expect(health.status == 503 && health.json["store"] as? String == "unavailable", "\(health.text)")
            }

            try await server.resume()
            // Node A reconnects (its next use connects again) and takes a write...
            var added: APIClient.Response?
            let deadline = ContinuousClock.now + .seconds(15)
            while ContinuousClock.now < deadline {
                let response = try await a.api.request(
                    "POST", "\(a.api.accountPath)/IpAccessControlLists/\(list)/IpAddresses.json",
                    form: [("FriendlyName", "back"), ("IpAddress", Self.caller)])
                if response.status == 201 {
                    added = response
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(added?.status == 201, "node A did not take writes again")
            // ...which both nodes enforce: B catches up with a change made while it
            // was still reconnecting.
            for node in nodes {
                #expect(try probe.waitFor(true, nodePort: node.sip, limit: .seconds(15)))
                let health = try await node.api.request("GET", "/healthz")
                #expect(health.status == 200, "\(health.text)")
            }
        }
    }

    @Test("policy import through the CLI into the shared store is enforced by a running node; export reads it back")
    func importIntoFleet() async throws {
        try await PostgresServer.with { server in
            let url = try await server.makeDatabase()
            let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Fixtures/captures/policy.yaml").path
            try await withTemporaryDirectory { directory in
                try await Self.withNodes(1, storeURL: url, upstream: 9, in: directory) { nodes in
                    let configuration = directory.appendingPathComponent("node0/sipfence.yaml").path
                    let check = "/sipfence/v1/check?domain=trunk.sipfence.test&source=127.0.0.2"
                    #expect(try await nodes[0].api.request("GET", check).json["verdict"] as? String == "reject")
                    let onPostgres = ["SIPFENCE_STORE_URL": url]
                    let (imported, _, importErrors) = try await Self.sipfence(
                        ["policy", "import", "--config", configuration, fixture], environment: onPostgres)
                    #expect(imported == 0, "\(importErrors)")
                    var verdict: String?
                    let start = ContinuousClock.now
                    while verdict != "admit", ContinuousClock.now - start < .seconds(10) {
                        verdict = try await nodes[0].api.request("GET", check).json["verdict"] as? String
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    #expect(verdict == "admit", "the node did not enforce the import")
                    let (exported, yaml, exportErrors) = try await Self.sipfence(
                        ["policy", "export", "--config", configuration], environment: onPostgres)
                    #expect(exported == 0, "\(exportErrors)")
                    #expect(yaml.contains("trunk.sipfence.test"))
                }
            }
        }
    }

    @Test("moving from SQLite: an export of the SQLite store imported into PostgreSQL exports the same records, SIDs included")
    func moveFromSQLite() async throws {
        try await PostgresServer.with { server in
            let url = try await server.makeDatabase()
            let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Fixtures/captures/policy.yaml").path
            try await withTemporaryDirectory { directory in
                let configuration = try SipfenceDaemon.writeConfiguration(in: directory, upstream: "udp:127.0.0.1:9")
                // Each step must succeed.
                func sipfence(_ arguments: [String], _ environment: [String: String] = [:]) async throws -> String {
                    let (status, output, errors) = try await Self.sipfence(arguments, environment: environment)
                    try #require(status == 0, "sipfence \(arguments): \(errors)")
                    return output
                }
                let onPostgres = ["SIPFENCE_STORE_URL": url]
                // A SQLite store with records (and the SIDs the import gave them).
                _ = try await sipfence(["policy", "import", "--config", configuration, fixture])
                let exported = directory.appendingPathComponent("policy.yaml").path
                _ = try await sipfence(["policy", "export", "--config", configuration, "--output", exported])
                // The README's move.
                _ = try await sipfence(["policy", "import", "--config", configuration, exported], onPostgres)
                let fromSQLite = try String(contentsOfFile: exported, encoding: .utf8)
                let fromPostgres = try await sipfence(["policy", "export", "--config", configuration], onPostgres)
                #expect(fromPostgres == fromSQLite)
                #expect(fromSQLite.contains("trunk.sipfence.test"))
            }
        }
    }
}
