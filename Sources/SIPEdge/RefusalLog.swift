import Admission
import Logging

/// Logs refused INVITEs — one line each, at info — but at most `burst` lines at once and
/// `perSecond` lines a second after that, so that a flood cannot fill the disk. Lines it
/// holds back are counted and reported with the next line it writes.
final class RefusalLog: Sendable {
    private let logger: Logger
    private let throttle: LogThrottle

    init(logger: Logger, perSecond: Double = 20, burst: Double = 100) {
        self.logger = logger
        self.throttle = LogThrottle(perSecond: perSecond, burst: burst)
    }

    func record(_ decision: AdmissionDecision, source: SIPSource) {
        switch decision.verdict {
        case .rejected, .unknownDomain: break
        default: return
        }
        guard let suppressed = throttle.admit() else { return }
        var metadata: Logger.Metadata = [
            "verdict": "\(decision.verdict)",
            "reason": "\(decision.reason)",
            "source": "\(source)",
            "domain": "\(decision.domain?.normalized ?? "-")",
            "call_id": "\(decision.callID ?? "-")",
            "method": "\(decision.method ?? "-")",
        ]
        if suppressed > 0 { metadata["suppressed_before"] = "\(suppressed)" }
        logger.info("refused request", metadata: metadata)
    }
}

/// Logs TCP connections refused at accept or closed for being too slow, and requests
/// dropped by the flood limits — one line each, at info, rate-limited like
/// ``RefusalLog`` (each kind with its own budget).
final class AbuseLog: Sendable {
    private let logger: Logger
    private let connections = LogThrottle()
    private let drops = LogThrottle()

    init(logger: Logger) {
        self.logger = logger
    }

    /// A TCP connection from `peer` refused or closed, for `reason` (the metric's label).
    func connection(_ reason: String, peer: String) {
        guard let suppressed = connections.admit() else { return }
        var metadata: Logger.Metadata = ["reason": "\(reason)", "peer": "\(peer)"]
        if suppressed > 0 { metadata["suppressed_before"] = "\(suppressed)" }
        logger.info("TCP connection refused", metadata: metadata)
    }

    /// A request from `source` dropped unanswered by the flood limits.
    func drop(_ verdict: FloodVerdict, source: SIPSource) {
        guard let reason = verdict.dropReason, let suppressed = drops.admit() else { return }
        var metadata: Logger.Metadata = ["reason": "\(reason)", "source": "\(source)"]
        if suppressed > 0 { metadata["suppressed_before"] = "\(suppressed)" }
        logger.info("request dropped by flood limits", metadata: metadata)
    }
}
