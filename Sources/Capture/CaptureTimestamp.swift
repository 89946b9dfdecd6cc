/// When a packet was captured: seconds and nanoseconds since the Unix epoch, as recorded
/// in the file.
///
/// pcap files record microseconds or nanoseconds and pcapng interfaces any power of ten
/// or of two; all of them are converted to nanoseconds (finer units are truncated).
public struct CaptureTimestamp: Hashable, Sendable {
    /// Whole seconds since 1970-01-01T00:00:00Z.
    public let seconds: Int64
    /// The fraction of the second, in `0..<1_000_000_000`.
    public let nanoseconds: UInt32

    /// The epoch itself; also the time of packets whose record carries no time (pcapng
    /// Simple Packet Blocks before any timed packet).
    public static let zero = CaptureTimestamp(seconds: 0, nanoseconds: 0)

    /// A timestamp from seconds and nanoseconds. Nanoseconds of a second or more carry into
    /// `seconds` (saturating at the largest representable time).
    public init(seconds: Int64, nanoseconds: UInt32) {
        if nanoseconds < 1_000_000_000 {
            self.seconds = seconds
            self.nanoseconds = nanoseconds
        } else {
            let (sum, overflow) = seconds.addingReportingOverflow(Int64(nanoseconds / 1_000_000_000))
            self.seconds = overflow ? .max : sum
            self.nanoseconds = nanoseconds % 1_000_000_000
        }
    }

    /// The nanoseconds from `earlier` to this timestamp, negative when this one is
    /// earlier, saturating at the limits of `Int64` (about 292 years).
    public func nanoseconds(since earlier: CaptureTimestamp) -> Int64 {
        let (seconds, secondsOverflow) = self.seconds.subtractingReportingOverflow(earlier.seconds)
        guard !secondsOverflow else { return self.seconds > earlier.seconds ? .max : .min }
        let (whole, wholeOverflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !wholeOverflow else { return seconds > 0 ? .max : .min }
        let (total, totalOverflow) = whole.addingReportingOverflow(
            Int64(self.nanoseconds) - Int64(earlier.nanoseconds)
        )
        guard !totalOverflow else { return whole > 0 ? .max : .min }
        return total
    }
}

extension CaptureTimestamp: Comparable {
    /// Earlier timestamps order first.
    public static func < (lhs: CaptureTimestamp, rhs: CaptureTimestamp) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }
}

extension CaptureTimestamp: CustomStringConvertible {
    /// Seconds since the epoch with nine decimals, as `tshark -T fields -e frame.time_epoch`
    /// prints them: `1700000000.123456789`.
    public var description: String {
        var fraction = String(nanoseconds)
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        if seconds < 0, nanoseconds > 0 {
            // -2 s + 0.25 s is -1.75 s.
            var complement = String(1_000_000_000 - nanoseconds)
            complement = String(repeating: "0", count: 9 - complement.count) + complement
            return "-\(UInt64(-(seconds + 1))).\(complement)"
        }
        return "\(seconds).\(fraction)"
    }
}
