import Synchronization

/// A token bucket for log lines: at most `burst` lines at once and `perSecond` a second
/// after that, so that a flood cannot fill the disk. Lines held back are counted and
/// reported with the next line that is written.
final class LogThrottle: Sendable {
    private struct Bucket {
        var tokens: Double
        var last: ContinuousClock.Instant
        var suppressed = 0
    }

    private let perSecond: Double
    private let burst: Double
    private let bucket: Mutex<Bucket>

    init(perSecond: Double = 20, burst: Double = 100) {
        self.perSecond = perSecond
        self.burst = burst
        self.bucket = Mutex(Bucket(tokens: burst, last: .now))
    }

    /// Whether a line may be written now, and if so how many were held back before it;
    /// `nil` when this one is held back (and counted).
    func admit() -> Int? {
        bucket.withLock { bucket in
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
    }
}
