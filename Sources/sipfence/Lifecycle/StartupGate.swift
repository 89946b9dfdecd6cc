import Foundation
import SIPEdge

/// Announces readiness once every listener is bound: prints one `listening <proto>
/// <host>:<port>` line per bound socket on standard output (tests and operators read
/// them, especially with port 0), then tells systemd `READY=1`.
actor StartupGate {
    private let notifier: SystemdNotifier
    private let status: @Sendable () -> String
    private var sipListeners: [SIPEdge.Listener]?
    private var httpListener: (host: String, port: Int)?
    private var announced = false

    init(notifier: SystemdNotifier, status: @escaping @Sendable () -> String) {
        self.notifier = notifier
        self.status = status
    }

    /// The SIP edge is listening on `listeners` (first start, or after a reload).
    func sipListening(_ listeners: [SIPEdge.Listener]) {
        let firstTime = sipListeners == nil
        let previous = Set(sipListeners ?? [])
        sipListeners = listeners
        for listener in listeners where !previous.contains(listener) {
            // Sockets facing only the upstream are marked, after the address.
            let side = listener.side == .upstream ? " upstream" : ""
            Self.printLine("listening \(listener.bound.transport.rawValue.lowercased()) \(listener.bound.hostText):\(listener.bound.port)\(side)")
        }
        if firstTime { announceIfComplete() }
    }

    /// The management API is listening.
    func httpListening(host: String, port: Int) {
        guard httpListener == nil else { return }
        httpListener = (host, port)
        let hostText = host.contains(":") ? "[\(host)]" : host
        Self.printLine("listening http \(hostText):\(port)")
        announceIfComplete()
    }

    private func announceIfComplete() {
        guard !announced, sipListeners != nil, httpListener != nil else { return }
        announced = true
        notifier.notify("READY=1\nSTATUS=\(status())")
    }

    /// Writes a line to standard output at once (stdout is block-buffered when piped).
    static func printLine(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
