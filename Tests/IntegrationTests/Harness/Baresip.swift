import Foundation
import TestSupport

/// A real RFC 3261 user agent for the deployment tests: Debian's `baresip-core` 1.0,
/// run in a network namespace with a configuration directory of its own and driven over
/// its control socket (see UA-NOTES.md in the shared notes).
///
/// Unlike sipp, baresip builds its route set from Record-Route and sends its ACK, re-INVITE
/// and BYE along it with the peer's Contact as Request-URI: a call between two of these
/// only completes if every proxy on the path routes in-dialog requests properly.
/// No sound device is used (a sine source, a null player), and `rtp_timeout 0` keeps a
/// call up although no RTP can flow between the namespaces.
struct Baresip: Sendable {
    /// One UA's identity and sockets.
    struct Configuration: Sendable {
        /// The user part of its address of record (`alice`, `bob`).
        var user: String
        /// The address its SIP socket binds (IPv6 without brackets).
        var address: String
        var port: Int
        var transport: SIPTransport
        /// The interface media addresses come from. Naming the interface rather than an
        /// address gives baresip both families, so an IPv4 callee can answer an IPv6
        /// caller's SDP offer (with one address it answers 488).
        var interface: String
        /// `host:port` of the outbound proxy every request is sent through (IPv6 in
        /// brackets); `nil` for a UA that only answers.
        var outboundProxy: String?
        /// Whether it answers incoming calls by itself.
        var answersAutomatically: Bool
        /// The port of its control socket on its namespace's loopback.
        var controlPort: Int

        /// Its address of record, `sip:user@host:port`, with the transport.
        var uri: String { "sip:\(user)@\(uriHost(address)):\(port)\(transport.uriParameter)" }
    }

    let configuration: Configuration
    let process: ManagedProcess
    let control: BaresipControl

    static let executable = "/usr/bin/baresip"

    /// Starts a UA in `namespace` (files in `directory`), runs `body`, and stops the UA
    /// however `body` ends: `quit` when it ended well, then SIGTERM / SIGKILL if needed.
    static func run<Result>(
        _ configuration: Configuration, in namespace: NetworkNamespace, directory: URL, body: (Baresip) async throws -> Result
    ) async throws -> Result {
        let folder = directory.appendingPathComponent("baresip-\(configuration.user)")
        try write(configuration, to: folder)
        return try await namespace.run(executable, arguments: ["-f", folder.path], name: "baresip \(configuration.user)") { process in
            let control = try await BaresipControl.connect(in: namespace, port: configuration.controlPort, process: process)
            defer { control.close() }
            try await NetworkNamespace.waitUntilListening(port: configuration.port, by: process)
            let agent = Baresip(configuration: configuration, process: process, control: control)
            let result = try await body(agent)
            await agent.quit()
            return result
        }
    }

    /// Writes `config`, `accounts` and an empty `contacts` into `folder`.
    private static func write(_ configuration: Configuration, to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let settings: [(String, String)] = [
            ("sip_listen", "\(uriHost(configuration.address)):\(configuration.port)"),
            ("audio_player", "aubridge,nil"),
            ("audio_source", "ausine,440"),
            // ausine only produces 48 kHz stereo; otherwise the callee never answers.
            ("ausrc_srate", "48000"),
            ("ausrc_channels", "2"),
            ("audio_alert", "aubridge,nil"),
            ("rtp_timeout", "0"),
            ("net_interface", configuration.interface),
            ("module_path", "/usr/lib/baresip/modules"),
            ("module", "g711.so"),
            ("module", "ausine.so"),
            ("module", "aubridge.so"),
            ("module_tmp", "account.so"),
            ("module_app", "menu.so"),
            ("module_app", "ctrl_tcp.so"),
            ("ctrl_tcp_listen", "127.0.0.1:\(configuration.controlPort)"),
        ]
        let config = settings.map { "\($0.0)\t\t\($0.1)" }.joined(separator: "\n") + "\n"
        var account = "<\(configuration.uri)>;regint=0"
        if configuration.answersAutomatically { account += ";answermode=auto" }
        if let proxy = configuration.outboundProxy {
            // baresip appends ;lr itself.
            account += ";outbound=\"sip:\(proxy)\(configuration.transport.uriParameter)\""
        }
        try config.write(to: folder.appendingPathComponent("config"), atomically: true, encoding: .utf8)
        try (account + "\n").write(to: folder.appendingPathComponent("accounts"), atomically: true, encoding: .utf8)
        try "".write(to: folder.appendingPathComponent("contacts"), atomically: true, encoding: .utf8)
    }

    /// Calls `uri` and waits until the call is established (fails at once if it closes).
    func dial(_ uri: String, within seconds: Double = 10) async throws {
        let mark = control.eventCount
        try await control.send("dial", uri)
        try await control.waitForEvent("CALL_ESTABLISHED", after: mark, failingOn: ["CALL_CLOSED"], within: seconds)
    }

    /// Waits until an incoming call is established, counting every event so far.
    func waitUntilEstablished(within seconds: Double = 10) async throws {
        try await control.waitForEvent("CALL_ESTABLISHED", after: 0, failingOn: ["CALL_CLOSED"], within: seconds)
    }

    /// Puts the call on hold — baresip sends a re-INVITE with an inactive/sendonly offer —
    /// and waits until the answer came back in its 2xx.
    func hold() async throws {
        try await reInvite("hold")
    }

    /// Takes the call off hold with another re-INVITE, and waits for its answer.
    func resume() async throws {
        try await reInvite("resume")
    }

    private func reInvite(_ command: String) async throws {
        let mark = control.eventCount
        try await control.send(command)
        try await control.waitForEvent("CALL_REMOTE_SDP", param: "answer", after: mark, failingOn: ["CALL_CLOSED"])
    }

    /// Hangs up (BYE) and waits until baresip reports the call closed.
    func hangUp() async throws {
        let mark = control.eventCount
        try await control.send("hangup")
        try await control.waitForEvent("CALL_CLOSED", after: mark)
    }

    /// Waits until the call is closed by the peer, counting every event so far.
    func waitUntilClosed(within seconds: Double = 10) async throws {
        try await control.waitForEvent("CALL_CLOSED", after: 0, within: seconds)
    }

    /// Asks baresip to quit and waits briefly for it to exit (the caller of ``run(_:in:directory:body:)``
    /// stops it anyway).
    func quit() async {
        _ = try? await control.send("quit", within: 1)
        _ = try? await process.waitForExit(within: 3)
    }
}
