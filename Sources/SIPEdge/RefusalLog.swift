import Admission
import Logging
import Synchronization

/// Logs refused INVITEs — one line each, at info — but at most `burst` lines at once and
/// `perSecond` lines a second after that, so that a flood cannot fill the disk. Lines it
/// holds back are counted and reported with the next line it writes.
final class RefusalLog: Sendable {
    private struct Bucket {
        var tokens: Double
        var last: ContinuousClock.Instant
        var suppressed = 0
    }

    private let logger: Logger
    private let perSecond: Double
    private let burst: Double
    private let bucket: Mutex<Bucket>

    init(logger: Logger, perSecond: Double = 20, burst: Double = 100) {
        self.logger = logger
        self.perSecond = perSecond
        self.burst = burst
        self.bucket = Mutex(Bucket(tokens: burst, last: .now))
    }

    func record(_ decision: AdmissionDecision, source: SIPSource) {
        switch decision.verdict {
        case .rejected, .unknownDomain: break
        default: return
        }
        let suppressed: Int? = bucket.withLock { bucket in
            let now = ContinuousClock.now
            let elapsed = bucket.last.duration(to: now)
            bucket.last = now
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(burst, bucket.tokens + seconds * perSecond)
            guard bucket.tokens >= 1 else {
                bucket.suppressed += 1
                return nil
            }
            bucket.tokens -= 1
            defer { bucket.suppressed = 0 }
            return bucket.suppressed
        }
        guard let suppressed else { return }
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
