import Foundation
import Testing
import TestSupport

/// The newcomer's first run: `scripts/run-dev.sh` (the demo upstream, the demo policy,
/// sipfence) and then `scripts/try-calls.sh`, as the README tells it, on ports chosen at
/// run time.
@Suite("The dev setup and its demo calls", .serialized)
struct DemoTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("try-calls.sh against run-dev.sh: one call admitted end to end, one refused with 403")
    func tryCalls() async throws {
        try await withTemporaryDirectory { directory in
            let sip = try Ports.free()
            let api = try Ports.free()
            let upstream = try Ports.free()
            let callee = try Ports.free()
            let environment = [
                "SIPFENCE_BINARY": SipfenceDaemon.executable,
                "SIPFENCE_DEV_STATE": directory.path,
                "SIPFENCE_SIP_LISTEN": "udp:127.0.0.1:\(sip),tcp:127.0.0.1:\(sip)",
                "SIPFENCE_API_LISTEN": "127.0.0.1:\(api)",
                "SIPFENCE_SIP_UPSTREAM": "udp:127.0.0.1:\(upstream)",
                "SIPFENCE_DEV_CALLEE_PORT": "\(callee)",
            ]
            try await ManagedProcess.run(
                "/bin/bash", arguments: [Self.repository.appendingPathComponent("scripts/run-dev.sh").path],
                environment: environment, name: "run-dev.sh"
            ) { runDev in
                let summary = try await runDev.waitForOutput(within: 60) { lines in
                    lines.contains { $0.hasPrefix("run-dev: running") } && lines.contains { $0.contains("try it") }
                }
                #expect(summary.contains { $0.contains("udp 127.0.0.1:\(sip)") }, "\(summary)")
                #expect(summary.contains { $0.contains("Kamailio on udp/tcp 127.0.0.1:\(upstream)") }, "\(summary)")

                let (status, output) = try await ManagedProcess.run(
                    "/bin/bash", arguments: [Self.repository.appendingPathComponent("scripts/try-calls.sh").path],
                    environment: [
                        "SIPFENCE_DEV_SIP": "127.0.0.1:\(sip)", "SIPFENCE_DEV_API": "http://127.0.0.1:\(api)",
                        "SIPFENCE_DEV_STATE": directory.path,
                    ], name: "try-calls.sh"
                ) { tryCalls in (try await tryCalls.waitForExit(within: 60), tryCalls.standardOutput + tryCalls.standardError) }
                print(output)
                #expect(status == 0, "\(output)")
                #expect(output.contains("127.0.0.2 → demo.sipfence.test: admitted"), "\(output)")
                #expect(output.contains("127.0.0.3 → demo.sipfence.test: refused — 403 Forbidden"), "\(output)")
                // Counters and sipfence's own log line for the refusal.
                #expect(output.contains("sipfence_sip_messages_total{"), "\(output)")
                #expect(output.contains("refused request") && output.contains("127.0.0.3"), "\(output)")
                // The demo policy was seeded through policy import, once.
                #expect(runDev.standardOutput.contains("applied config/demo/policy.yaml: 4 created"), "\(runDev.standardOutput)")
            }
            // Stopping run-dev.sh stops what it started.
            try await Task.sleep(for: .milliseconds(500))
            #expect(!Ports.isBound(udp: sip) && !Ports.isBound(udp: upstream) && !Ports.isBound(udp: callee))
        }
    }
}

/// Long CLI work reports its progress on a terminal, and only there.
@Suite("Progress of long commands")
struct ProgressTests {
    /// Runs `command` (a shell command line) with standard error on a terminal (`script`'s
    /// pseudo-terminal), returning what the terminal showed.
    static func onTerminal(_ command: String) async throws -> (Int32, String) {
        try await ManagedProcess.run("/usr/bin/script", arguments: ["-qec", command, "/dev/null"], name: "script") {
            process in (try await process.waitForExit(within: 120), process.standardOutput)
        }
    }

    @Test("policy import shows reading and applying on a terminal, nothing of it in piped output, and its time either way")
    func importProgress() async throws {
        try await withTemporaryDirectory { directory in
            let configuration = try SipfenceDaemon.writeConfiguration(in: directory, upstream: "udp:127.0.0.1:9")
            let policy = directory.appendingPathComponent("policy.yaml").path
            var yaml = "accounts:\n  - sid: \(SipfenceDaemon.accountSID)\n    ip_access_control_lists:\n"
            yaml += "      - friendly_name: many\n        ip_addresses:\n"
            for index in 0..<60_000 {
                yaml += "          - ip_address: 10.\(index / 65_536 % 256).\(index / 256 % 256).\(index % 256)\n"
            }
            try yaml.write(toFile: policy, atomically: true, encoding: .utf8)

            let (status, terminal) = try await Self.onTerminal(
                "\(SipfenceDaemon.executable) policy import --config \(configuration) \(policy)")
            #expect(status == 0, "\(terminal)")
            #expect(terminal.contains("\rreading \(policy): "), "\(terminal)")
            #expect(terminal.contains("\rapplying \(policy) (60000 IP addresses) to the store:"), "\(terminal)")
            #expect(terminal.contains("applied \(policy): 60001 created"), "\(terminal)")

            let (again, piped) = try await ManagedProcess.run(
                SipfenceDaemon.executable, arguments: ["policy", "import", "--config", configuration, policy]
            ) { process in (try await process.waitForExit(within: 120), process.standardOutput + process.standardError) }
            #expect(again == 0, "\(piped)")
            #expect(!piped.contains("\r") && !piped.contains("reading"), "\(piped)")
            #expect(piped.contains(": nothing changed (policy generation 1) in "), "\(piped)")
        }
    }

    @Test("replay says how long it took on a terminal when its report goes elsewhere; piped, it adds nothing")
    func replayProgress() async throws {
        try await withTemporaryDirectory { directory in
            let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Fixtures/captures")
            let capture = fixtures.appendingPathComponent("udp-calls.pcap").path
            let policy = fixtures.appendingPathComponent("policy.yaml").path
            let report = directory.appendingPathComponent("report.txt").path
            let (status, terminal) = try await Self.onTerminal(
                "\(SipfenceDaemon.executable) replay \(capture) --policy \(policy) > \(report)")
            #expect(status == 0, "\(terminal)")
            #expect(terminal.contains("replayed 1 capture(s), "), "\(terminal)")
            let (piped, output) = try await ManagedProcess.run(
                SipfenceDaemon.executable, arguments: ["replay", capture, "--policy", policy]
            ) { process in (try await process.waitForExit(within: 120), process.standardError) }
            #expect(piped == 0)
            #expect(!output.contains("replayed"), "\(output)")
        }
    }
}
