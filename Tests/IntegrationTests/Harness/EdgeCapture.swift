import Foundation
import TestSupport

/// A packet capture in the edge namespace on every interface at once (`tcpdump -i any`,
/// whose link layer records the interface index and whether a packet came in or went
/// out), read back with tshark into ``CapturedSIPMessage``s: the evidence that a request
/// arrived on the edge's outside interface and left by its inside one — that the edge
/// relayed it — or the reverse.
struct EdgeCapture: Sendable {
    let file: URL
    let process: ManagedProcess

    /// Starts capturing SIP ports in `namespace` into `directory`, runs `body`, and stops
    /// tcpdump however `body` ends.
    static func run<Result>(
        in namespace: NetworkNamespace, directory: URL, body: (EdgeCapture) async throws -> Result
    ) async throws -> Result {
        let file = directory.appendingPathComponent("edge.pcap")
        // --immediate-mode: take each packet as it comes (otherwise packets of the last
        // second are still in the kernel's buffer when tcpdump is stopped, and lost);
        // -U: write each packet at once, so the file can be read while the capture runs.
        return try await namespace.run(
            "/usr/bin/tcpdump", arguments: ["-i", "any", "-n", "--immediate-mode", "-U", "-s", "0", "-w", file.path, "port 5060 or port 5070 or port 5080"],
            name: "tcpdump in \(namespace)"
        ) { process in
            let deadline = ContinuousClock.now + .seconds(10)
            while !process.standardError.contains("listening on") {
                guard process.isRunning, ContinuousClock.now < deadline else {
                    throw HarnessError.timeout("tcpdump did not start: \(process.standardError)")
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            return try await body(EdgeCapture(file: file, process: process))
        }
    }

    /// The SIP messages captured so far, in order.
    func messages() async throws -> [CapturedSIPMessage] {
        var arguments = ["-r", file.path, "-n", "-Y", "sip", "-T", "fields", "-E", "separator=/t", "-E", "aggregator=|", "-E", "occurrence=a"]
        for field in CapturedSIPMessage.fields { arguments += ["-e", field] }
        let output = try await NetworkNamespace.execute("/usr/bin/tshark", arguments, within: 30)
        return output.split(separator: "\n").flatMap { CapturedSIPMessage.messages(fromFields: $0) }
    }

    /// Stops the capture after a moment for the last packets, and returns what it saw.
    func finish() async throws -> [CapturedSIPMessage] {
        try await Task.sleep(for: .milliseconds(200))
        await process.stop()
        return try await messages()
    }
}
