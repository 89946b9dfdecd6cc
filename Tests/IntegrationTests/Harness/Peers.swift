import Foundation
import TestSupport

/// Where the test's peer files live: `Tests/IntegrationTests/Peers`, and the sipp
/// scenarios the demo shares with the tests, `config/demo/sipp`.
enum PeerFiles {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Peers")

    /// The repository's `config/demo/sipp` (the demo's calls: `scripts/try-calls.sh`).
    static let demoScenarios = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("config/demo/sipp")

    /// The file `name`, with `@@KEY@@` placeholders replaced, written to `directory`.
    static func render(_ name: String, into directory: URL, _ values: [String: String] = [:]) throws -> String {
        let source = [self.directory, demoScenarios].map { $0.appendingPathComponent(name) }
            .first { FileManager.default.fileExists(atPath: $0.path) } ?? self.directory.appendingPathComponent(name)
        var text = try String(contentsOf: source, encoding: .utf8)
        for (key, value) in values {
            text = text.replacingOccurrences(of: "@@\(key)@@", with: value)
        }
        let path = directory.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

/// A temporary directory for one test's files, removed afterwards.
func withTemporaryDirectory<Result>(_ body: (URL) async throws -> Result) async throws -> Result {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sipfence-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory)
}

/// Kamailio as the upstream proxy, forwarding to two sipp UASs.
enum Kamailio {
    static let executable = "/usr/sbin/kamailio"

    static func run<Result>(
        port: Int,
        uasPort: Int,
        cancelUASPort: Int,
        in directory: URL,
        body: (ManagedProcess) async throws -> Result
    ) async throws -> Result {
        let configuration = try PeerFiles.render(
            "kamailio-upstream.cfg",
            into: directory,
            ["HOST": "127.0.0.1", "PORT": "\(port)", "UAS_HOST": "127.0.0.1", "UAS_PORT": "\(uasPort)", "CANCEL_UAS_PORT": "\(cancelUASPort)"]
        )
        // -DD: stay in the foreground (children still fork); -E: log to stderr.
        return try await ManagedProcess.run(
            executable,
            arguments: ["-f", configuration, "-DD", "-E", "-m", "32", "-M", "8", "-P", directory.appendingPathComponent("kamailio.pid").path,
                        "-Y", directory.path],
            name: "kamailio"
        ) { kamailio in
            try await Ports.waitUntilBound(udp: port, by: kamailio)
            return try await body(kamailio)
        }
    }
}

/// sipp, as the called party or as a caller.
enum Sipp {
    static let executable = "/usr/bin/sipp"

    /// A UAS on 127.0.0.1:`port` running `scenario` for any number of calls.
    static func uas<Result>(scenario: String, port: Int, in directory: URL, body: (ManagedProcess) async throws -> Result) async throws -> Result {
        let path = try PeerFiles.render(scenario, into: directory)
        return try await ManagedProcess.run(
            executable,
            arguments: ["-sf", path, "-i", "127.0.0.1", "-p", "\(port)", "-nostdin", "-trace_err",
                        "-error_file", directory.appendingPathComponent("\(scenario).errors").path],
            name: "sipp uas"
        ) { uas in
            try await Ports.waitUntilBound(udp: port, by: uas)
            return try await body(uas)
        }
    }

    /// The outcome of a sipp caller run.
    struct Outcome {
        let status: Int32
        let output: String
        var succeeded: Bool { status == 0 }
    }

    /// Runs one call of `scenario` from `localIP` to `target` (`host:port`, IPv6 in
    /// brackets) over `transport` (`u1` or `t1`), waiting for it to end.
    static func call(
        scenario: String,
        from localIP: String,
        to target: String,
        transport: String = "u1",
        service: String = "15550100",
        keys: [String: String],
        values: [String: String] = [:],
        arguments extra: [String] = [],
        timeout: Int = 15,
        in directory: URL
    ) async throws -> Outcome {
        let path = try PeerFiles.render(scenario, into: directory, values)
        var arguments = ["-sf", path, "-i", localIP, "-t", transport, "-s", service, "-m", "1", "-nostdin",
                         "-timeout", "\(timeout)s", "-timeout_error", "-recv_timeout", "10000", "-trace_err",
                         "-error_file", directory.appendingPathComponent("\(scenario)-\(UUID().uuidString).errors").path]
        for (key, value) in keys { arguments += ["-key", key, value] }
        arguments += extra
        arguments.append(target)
        return try await ManagedProcess.run(executable, arguments: arguments, name: "sipp uac") { uac in
            let status = try await uac.waitForExit(within: Double(timeout + 15))
            return Outcome(status: status, output: uac.standardOutput + uac.standardError)
        }
    }
}
