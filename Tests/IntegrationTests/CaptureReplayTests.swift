import Capture
import Foundation
import TestSupport
import Testing

/// The capture fixtures made by `scripts/make-capture-fixtures.sh` from real traffic, and
/// the verdict table written beside each.
struct CaptureFixture: Sendable, CustomTestStringConvertible {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/captures")
    static let policy = directory.appendingPathComponent("policy.yaml").path
    static let all = ["udp-calls.pcap", "tcp-calls.pcap", "ipv6-calls.pcap", "fragmented-invite.pcap", "two-interfaces.pcapng"]
        .map(CaptureFixture.init)

    let file: String
    var testDescription: String { file }
    var path: String { Self.directory.appendingPathComponent(file).path }

    struct Row: Equatable, CustomStringConvertible {
        let source: String
        let transport: String
        let domain: String
        let verdict: String
        var description: String { "\(source) \(transport) \(domain) \(verdict)" }
    }

    /// The rows and totals of `<name>.expected`.
    func expected() throws -> (rows: [Row], totals: [String: Int]) {
        let name = (file as NSString).deletingPathExtension + ".expected"
        let text = try String(contentsOf: Self.directory.appendingPathComponent(name), encoding: .utf8)
        var rows: [Row] = []
        var totals: [String: Int] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            if fields.first == "totals" {
                for pair in fields.dropFirst() {
                    let parts = pair.split(separator: "=")
                    totals[String(parts[0])] = Int(parts[1])
                }
            } else if fields.count == 4 {
                rows.append(Row(source: fields[0], transport: fields[1], domain: fields[2], verdict: fields[3]))
            }
        }
        return (rows, totals)
    }
}

/// The JSON lines `sipfence replay --json` prints.
struct ReplayOutput {
    var invites: [[String: Any]] = []
    var summary: [String: Any] = [:]

    init(_ text: String) {
        for line in text.split(separator: "\n") {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else { continue }
            if let summary = object["summary"] as? [String: Any] { self.summary = summary } else { invites.append(object) }
        }
    }

    /// A source `host:port` (IPv6 in brackets) without its port.
    static func host(_ endpoint: String) -> String {
        if endpoint.hasPrefix("["), let close = endpoint.firstIndex(of: "]") {
            return String(endpoint[endpoint.index(after: endpoint.startIndex)..<close])
        }
        return String(endpoint.split(separator: ":").first ?? "")
    }

    var rows: [CaptureFixture.Row] {
        invites.map {
            CaptureFixture.Row(
                source: Self.host($0["source"] as? String ?? ""),
                transport: $0["transport"] as? String ?? "",
                domain: $0["domain"] as? String ?? "-",
                verdict: $0["verdict"] as? String ?? ""
            )
        }
    }
}

func replay(_ arguments: [String]) async throws -> (status: Int32, output: String, errors: String) {
    try await ManagedProcess.run(SipfenceDaemon.executable, arguments: ["replay"] + arguments) { process in
        let status = try await process.waitForExit()
        return (status, process.standardOutput, process.standardError)
    }
}

@Suite("Integration: replaying captures", .serialized)
struct CaptureReplayTests {
    @Test("each fixture replays to its verdict table", arguments: CaptureFixture.all)
    func fixture(_ fixture: CaptureFixture) async throws {
        let (status, output, errors) = try await replay(["--json", "--policy", CaptureFixture.policy, fixture.path])
        #expect(status == 0, "\(errors)")
        let replayed = ReplayOutput(output)
        let expected = try fixture.expected()
        #expect(replayed.rows == expected.rows)
        #expect(replayed.summary["messages"] as? Int == expected.totals["messages"])
        #expect(replayed.summary["responses"] as? Int == expected.totals["responses"])
        let methods = replayed.summary["requests_by_method"] as? [String: Int] ?? [:]
        for method in ["INVITE", "ACK", "BYE"] {
            #expect(methods[method] == expected.totals[method], "\(method)")
        }
        #expect(replayed.summary["malformed"] as? Int == 0)
        if fixture.file == "fragmented-invite.pcap" {
            #expect(replayed.summary["reassembled_datagrams"] as? Int == 1)
        }
    }

    @Test("--only filters the lines, the text form has one line per INVITE, several captures add up")
    func filtersAndText() async throws {
        let udp = CaptureFixture.all[0].path
        let rejected = ReplayOutput(try await replay(["--json", "--only", "rejected", "--policy", CaptureFixture.policy, udp]).output)
        #expect(rejected.rows.map(\.verdict) == ["rejected", "unknown_domain", "too_many_hops"])
        let admitted = ReplayOutput(try await replay(["--json", "--only", "admitted", "--policy", CaptureFixture.policy, udp]).output)
        #expect(admitted.rows.map(\.verdict) == ["admitted"])
        let text = try await replay(["--policy", CaptureFixture.policy, udp, CaptureFixture.all[1].path]).output
        let lines = text.split(separator: "\n")
        #expect(lines.filter { $0.contains(" verdict=") }.count == 6)
        #expect(text.contains("summary: 24 SIP messages (14 requests, 10 responses) in 44 packets"))
        #expect(text.contains("INVITEs: 2 admitted, 2 rejected, 1 unknown domain, 1 too many hops, 0 malformed"))
    }

    @Test("an unreadable capture names the file and where, with exit status 2")
    func badCapture() async throws {
        try await withTemporaryDirectory { directory in
            let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: CaptureFixture.all[0].path)))
            let path = directory.appendingPathComponent("cut.pcap").path
            try Data(bytes.prefix(100)).write(to: URL(fileURLWithPath: path))
            let (status, _, errors) = try await replay(["--policy", CaptureFixture.policy, path])
            #expect(status == 2)
            #expect(errors.contains("cut.pcap: record 1 at byte offset 24"), "\(errors)")
            let (missing, _, missingErrors) = try await replay(["--policy", CaptureFixture.policy, "/nonexistent.pcap"])
            #expect(missing == 2)
            #expect(missingErrors.contains("/nonexistent.pcap"))
        }
    }

    /// The INVITE payloads of a capture, with the address they came from.
    static func invites(in path: String) throws -> [(source: String, payload: [UInt8])] {
        var reader = try CaptureReader(path: path)
        var invites: [(String, [UInt8])] = []
        while let event = try reader.next() {
            if case .datagram(_, let source, _, let payload) = event, payload.starts(with: Array("INVITE ".utf8)) {
                invites.append(("\(source.address)", payload))
            }
        }
        return invites
    }

    @Test("a running daemon answers the captured INVITEs as replay decided", arguments: ["udp-calls.pcap", "ipv6-calls.pcap"])
    func liveReplay(file: String) async throws {
        let fixture = CaptureFixture(file: file)
        let replayed = ReplayOutput(try await replay(["--json", "--policy", CaptureFixture.policy, fixture.path]).output)
        let invites = try Self.invites(in: fixture.path)
        #expect(invites.count == replayed.invites.count)

        try await withTemporaryDirectory { directory in
            let upstream = try UDPSocket(bindingTo: "127.0.0.1")
            let configuration = try SipfenceDaemon.writeConfiguration(in: directory, upstream: "udp:127.0.0.1:\(upstream.port)")
            try await ManagedProcess.run(
                SipfenceDaemon.executable, arguments: ["policy", "import", "--config", configuration, CaptureFixture.policy]
            ) { importer in
                let status = try await importer.waitForExit()
                #expect(status == 0, "\(importer.standardError)")
            }
            try await SipfenceDaemon.run(configuration: configuration) { _, listening, _ in
                for (index, invite) in invites.enumerated() {
                    let ipv6 = invite.source.contains(":")
                    let target = ipv6 ? listening.udp6 : listening.udp4
                    let caller = try UDPSocket(bindingTo: invite.source)
                    try caller.send(invite.payload, to: ipv6 ? "::1" : "127.0.0.1", port: listening.port(target))
                    let decision = replayed.invites[index]
                    if decision["verdict"] as? String == "admitted" {
                        let forwarded = try #require(upstream.receive(within: 5), "INVITE \(index) was not forwarded")
                        #expect(String(decoding: forwarded, as: UTF8.self).hasPrefix("INVITE "))
                        #expect(caller.receive(within: 0.3) == nil, "an admitted INVITE got an answer")
                    } else {
                        let answer = try #require(caller.receive(within: 5), "INVITE \(index) was not answered")
                        let status = Int(String(decoding: answer.dropFirst(8).prefix(3), as: UTF8.self))
                        #expect(status == decision["status"] as? Int, "INVITE \(index): \(decision)")
                        #expect(upstream.receive(within: 0.1) == nil, "a refused INVITE reached the upstream")
                    }
                }
            }
        }
    }
}
