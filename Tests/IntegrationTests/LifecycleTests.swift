import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Integration: daemon lifecycle", .serialized)
struct LifecycleTests {
    @Test("READY, RELOADING, STOPPING and WATCHDOG reach NOTIFY_SOCKET; SIGHUP reloads, SIGTERM stops with 0")
    func systemdNotify() async throws {
        try await withTemporaryDirectory { directory in
            let systemd = try FakeSystemd(directory: directory)
            let configuration = try SipfenceDaemon.writeConfiguration(in: directory, upstream: "udp:127.0.0.1:9")
            let environment = ["NOTIFY_SOCKET": systemd.path, "WATCHDOG_USEC": "400000"]
            try await SipfenceDaemon.run(configuration: configuration, environment: environment) { daemon, listening, api in
                let ready = try await systemd.waitFor("READY=1")
                #expect(systemd.messages[ready].contains("STATUS="))
                try await systemd.waitFor("WATCHDOG=1")

                // Reload with an added listener: the old sockets stay, the new one is announced.
                let text = try String(contentsOfFile: configuration, encoding: .utf8)
                    .replacingOccurrences(of: "\"tcp:[::1]:0\"]", with: "\"tcp:[::1]:0\", udp:127.0.0.2:0]")
                try text.write(toFile: configuration, atomically: true, encoding: .utf8)
                daemon.send(SIGHUP)
                let reloading = try await systemd.waitFor("RELOADING=1", after: ready + 1)
                #expect(systemd.messages[reloading].contains("MONOTONIC_USEC="))
                try await systemd.waitFor("READY=1", after: reloading + 1)
                let lines = try await daemon.waitForOutput { $0.contains { $0.hasPrefix("listening udp 127.0.0.2:") } }
                #expect(lines.filter { $0.hasPrefix("listening udp 127.0.0.1:") }.count == 1, "the unchanged socket was not rebound")
                #expect((try await api.request("GET", "/healthz")).status == 200)

                // A broken configuration is refused; the daemon keeps running.
                try "sip: [".write(toFile: configuration, atomically: true, encoding: .utf8)
                daemon.send(SIGHUP)
                let failed = try await systemd.waitFor("reload failed", after: reloading + 1)
                #expect(systemd.messages[failed].contains("READY=1"))
                #expect(daemon.isRunning)

                daemon.send(SIGTERM)
                #expect(try await daemon.waitForExit(within: 10) == 0)
                try await systemd.waitFor("STOPPING=1")
            }
        }
    }

    @Test("check-config explains every problem with its key, and exits 2")
    func checkConfig() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("bad.yaml").path
            try """
                sip:
                  listen: [udp:127.0.0.1:99999, sctp:127.0.0.1:5060]
                  upstream: udp:proxy.example.com:5060
                  unknown_domain_status: 200
                  lisen: oops
                store: {}
                accounts:
                  - sid: ACnothex
                    auth_token: short
                """.write(toFile: path, atomically: true, encoding: .utf8)
            try await ManagedProcess.run(SipfenceDaemon.executable, arguments: ["check-config", "--config", path]) { check in
                let status = try await check.waitForExit()
                #expect(status == 2)
                let output = check.standardError
                for key in [
                    "sip.listen[0]", "sip.listen[1]", "sip.upstream", "sip.unknown_domain_status", "sip.lisen", "store.path",
                    "accounts[0].sid", "accounts[0].auth_token",
                ] {
                    #expect(output.contains("  \(key): "), "no explanation for \(key) in:\n\(output)")
                }
            }
            let good = try SipfenceDaemon.writeConfiguration(in: directory, upstream: "udp:127.0.0.1:5070")
            try await ManagedProcess.run(SipfenceDaemon.executable, arguments: ["check-config", "--config", good]) { check in
                let status = try await check.waitForExit()
                #expect(status == 0)
                #expect(check.standardOutput.contains("configuration OK"))
            }
        }
    }

    @Test("the systemd unit passes systemd-analyze verify without warnings")
    func systemdUnit() async throws {
        try await withTemporaryDirectory { directory in
            let unit = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("systemd/sipfence.service")
            // The unit names the installed binary; verify checks it exists, so point it at the built one.
            let text = try String(contentsOf: unit, encoding: .utf8)
                .replacingOccurrences(of: "/usr/local/bin/sipfence", with: SipfenceDaemon.executable)
            let path = directory.appendingPathComponent("sipfence.service").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            try await ManagedProcess.run("/usr/bin/systemd-analyze", arguments: ["verify", path]) { verify in
                let status = try await verify.waitForExit()
                #expect(status == 0)
                #expect(verify.standardError.isEmpty && verify.standardOutput.isEmpty, "\(verify.standardError)")
            }
            for setting in ["Type=notify", "ExecReload=", "Restart=on-failure", "WatchdogSec=", "DynamicUser=yes", "StateDirectory=",
                            "ConfigurationDirectory=", "AmbientCapabilities=CAP_NET_BIND_SERVICE", "NoNewPrivileges=yes",
                            "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "PrivateDevices=yes",
                            "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "SystemCallFilter=@system-service",
                            "MemoryDenyWriteExecute=yes"] {
                #expect(text.contains("\n\(setting)"), "the unit lacks \(setting)")
            }
        }
    }

    @Test("policy export prints YAML that policy import applies without change")
    func policyRoundTrip() async throws {
        try await withTemporaryDirectory { directory in
            let configuration = try SipfenceDaemon.writeConfiguration(in: directory, upstream: "udp:127.0.0.1:9")
            func sipfence(_ arguments: [String]) async throws -> (Int32, String) {
                try await ManagedProcess.run(SipfenceDaemon.executable, arguments: arguments) { process in
                    let status = try await process.waitForExit()
                    return (status, process.standardOutput + process.standardError)
                }
            }
            let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Fixtures/captures/policy.yaml").path
            let (imported, importOutput) = try await sipfence(["policy", "import", "--config", configuration, fixture])
            #expect(imported == 0, "\(importOutput)")
            let (exported, yaml) = try await sipfence(["policy", "export", "--config", configuration])
            #expect(exported == 0)
            #expect(yaml.contains("domain_name: trunk.sipfence.test") && yaml.contains("127.0.0.2"), "\(yaml)")
            let exportPath = directory.appendingPathComponent("export.yaml").path
            try yaml.write(toFile: exportPath, atomically: true, encoding: .utf8)
            let (again, againOutput) = try await sipfence(["policy", "import", "--config", configuration, exportPath])
            #expect(again == 0)
            #expect(againOutput.contains(": nothing changed (policy generation "), "\(againOutput)")
            #expect(importOutput.contains(" created, "), "\(importOutput)")
            let (reexported, yamlAgain) = try await sipfence(["policy", "export", "--config", configuration])
            #expect(reexported == 0 && yamlAgain == yaml)

            // --output writes a file only its owner can read, even over a world-readable one.
            let privatePath = directory.appendingPathComponent("private.yaml").path
            #expect(FileManager.default.createFile(atPath: privatePath, contents: Data("old, longer content\n".utf8), attributes: [.posixPermissions: 0o644]))
            let (written, note) = try await sipfence(["policy", "export", "--config", configuration, "--output", privatePath])
            #expect(written == 0, "\(note)")
            #expect(note.contains("mode 0600"), "\(note)")
            let attributes = try FileManager.default.attributesOfItem(atPath: privatePath)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            #expect(try String(contentsOfFile: privatePath, encoding: .utf8) == yaml)
        }
    }

    @Test("a policy import by another process into the running daemon's store is enforced without a reload")
    func importIntoRunningDaemon() async throws {
        try await withTemporaryDirectory { directory in
            let configuration = try SipfenceDaemon.writeConfiguration(in: directory, upstream: "udp:127.0.0.1:9")
            let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Fixtures/captures/policy.yaml").path
            try await SipfenceDaemon.run(configuration: configuration) { _, _, api in
                let check = "/sipfence/v1/check?domain=trunk.sipfence.test&source=127.0.0.2"
                #expect(try await api.request("GET", check).json["verdict"] as? String == "reject")
                let (status, output) = try await ManagedProcess.run(
                    SipfenceDaemon.executable, arguments: ["policy", "import", "--config", configuration, fixture]
                ) { process in (try await process.waitForExit(), process.standardOutput + process.standardError) }
                #expect(status == 0, "\(output)")
                let imported = ContinuousClock.now
                // The daemon reads the store's generation every 250 ms; allow for a slow machine.
                var verdict: String?
                while ContinuousClock.now - imported < .seconds(10) {
                    verdict = try await api.request("GET", check).json["verdict"] as? String
                    if verdict == "admit" { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(verdict == "admit", "the daemon did not pick up the import")
                print("import by another process enforced after \(ContinuousClock.now - imported)")
            }
        }
    }

    /// What an operator sees when the store goes away under a running daemon (here its
    /// file is overwritten, as a failed disk or a mistaken copy would leave it): the SIP
    /// path keeps enforcing the policy it has, /healthz and the metrics say the store is
    /// unavailable and how stale the policy may be, and API writes get 503 / 20503.
    @Test("when the store cannot be read, the policy stays enforced and health, metrics and writes say so")
    func storeGoesAway() async throws {
        try await withTemporaryDirectory { directory in
            let configuration = try SipfenceDaemon.writeConfiguration(in: directory, upstream: "udp:127.0.0.1:9")
            try await SipfenceDaemon.run(configuration: configuration) { _, listening, api in
                _ = try await api.provision(domain: "kept.sipfence.test", addresses: ["192.0.2.1"])
                // An INVITE from outside the list gets 403 while the domain is in the
                // enforced policy (404 if the policy had lost it).
                let udp = try UDPSocket(bindingTo: "127.0.0.3")
                func answer(_ callID: String) throws -> String {
                    let invite = AbuseTests.invite(from: "127.0.0.3", port: udp.port, transport: "UDP", callID: callID)
                        .replacingOccurrences(of: World.domain, with: "kept.sipfence.test")
                    try udp.send(Array(invite.utf8), to: "127.0.0.1", port: listening.port(listening.udp4))
                    return udp.receive(within: 5).map { String(decoding: $0, as: UTF8.self) } ?? ""
                }
                let check = "/sipfence/v1/check?domain=kept.sipfence.test&source=192.0.2.1"
                var verdict: String?
                for _ in 0..<200 where verdict != "admit" {
                    verdict = try await api.request("GET", check).json["verdict"] as? String
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(verdict == "admit")
                #expect(try answer("before").hasPrefix("SIP/2.0 403 Forbidden"))
                #expect(try await api.metric("sipfence_store_up") == 1)
                #expect(try await api.metric("sipfence_policy_age_seconds") < 1)

                let store = directory.appendingPathComponent("state/sipfence.sqlite").path
                for suffix in ["", "-wal", "-shm"] {
                    try Data("not a database".utf8).write(to: URL(fileURLWithPath: store + suffix))
                }
                let broken = ContinuousClock.now
                while try await api.metric("sipfence_store_up") != 0, ContinuousClock.now - broken < .seconds(10) {
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(try await api.metric("sipfence_store_up") == 0)
                try await Task.sleep(for: .seconds(1.5))
                #expect(try await api.metric("sipfence_policy_age_seconds") >= 1)

                let health = try await api.request("GET", "/healthz")
                #expect(health.status == 503)
                #expect(health.json["store"] as? String == "unavailable", "\(health.text)")
                let write = try await api.request(
                    "POST", "\(api.accountPath)/Domains.json", form: [("DomainName", "late.sipfence.test")])
                #expect(write.status == 503, "\(write.text)")
                #expect(write.json["code"] as? Int == 20503, "\(write.text)")
                // API reads need the store (they are never answered from a stale copy)...
                let read = try await api.request("GET", check)
                #expect(read.status == 503 && read.json["code"] as? Int == 20503, "\(read.text)")
                // ...while the SIP path enforces the policy it had.
                #expect(try answer("after").hasPrefix("SIP/2.0 403 Forbidden"))
            }
        }
    }

    @Test("a write the API acknowledged survives kill -9")
    func durability() async throws {
        try await withTemporaryDirectory { directory in
            let configuration = try SipfenceDaemon.writeConfiguration(in: directory, upstream: "udp:127.0.0.1:9")
            let domainSID = try await SipfenceDaemon.run(configuration: configuration) { daemon, _, api in
                let (domainSID, _) = try await api.provision(domain: "durable.sipfence.test", addresses: ["192.0.2.1"])
                daemon.send(SIGKILL)
                _ = try await daemon.waitForExit()
                return domainSID
            }
            try await SipfenceDaemon.run(configuration: configuration) { _, _, api in
                let fetched = try await api.request("GET", "\(api.accountPath)/Domains/\(domainSID).json")
                #expect(fetched.status == 200)
                #expect(fetched.json["domain_name"] as? String == "durable.sipfence.test")
                let check = try await api.request("GET", "/sipfence/v1/check?domain=durable.sipfence.test&source=192.0.2.1")
                #expect(check.json["verdict"] as? String == "admit", "\(check.text)")
            }
        }
    }
}

@Suite("Integration: Twilio's helper library")
struct TwilioHelperLibraryTests {
    /// The virtualenv scripts/install-deps.sh --tests makes (or SIPFENCE_TWILIO_PYTHON).
    static var python: String {
        ProcessInfo.processInfo.environment["SIPFENCE_TWILIO_PYTHON"]
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build-tools/twilio-venv/bin/python").path
    }

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ManagementAPITests/twilio_client_check.py").path
    }

    @Test("twilio-python, unmodified, manages domains, lists, addresses, credential lists and every mapping on the running daemon")
    func twilioPython() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.python) else {
            Issue.record("Twilio's Python library is not installed at \(Self.python): run scripts/install-deps.sh --tests")
            return
        }
        try await withTemporaryDirectory { directory in
            let configuration = try SipfenceDaemon.writeConfiguration(in: directory, upstream: "udp:127.0.0.1:9")
            try await SipfenceDaemon.run(configuration: configuration) { _, listening, _ in
                let arguments = [
                    Self.script, "--base-url", "http://\(listening.http)",
                    "--account-sid", SipfenceDaemon.accountSID, "--auth-token", SipfenceDaemon.authToken,
                    "--other-account-sid", SipfenceDaemon.otherAccountSID, "--other-auth-token", SipfenceDaemon.otherAuthToken,
                    "--api-key-sid", SipfenceDaemon.apiKeySID, "--api-key-secret", SipfenceDaemon.apiKeySecret,
                ]
                try await ManagedProcess.run(Self.python, arguments: arguments, name: "twilio-python") { check in
                    let status = try await check.waitForExit(within: 120)
                    #expect(status == 0, "\(check.standardOutput.suffix(3000))\n\(check.standardError.suffix(2000))")
                    #expect(check.standardOutput.contains(" 0 failed"), "\(check.standardOutput.suffix(500))")
                }
            }
        }
    }
}
