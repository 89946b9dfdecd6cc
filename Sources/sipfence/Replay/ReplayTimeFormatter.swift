import Capture

/// Writes capture timestamps as ``ReplayReport/iso8601(_:)`` does
/// (`2026-11-29T03:40:11.123456Z`), straight into an output buffer.
///
/// Lines of one second share everything up to the fraction, so that text is formatted once
/// per second: formatting every line's time in full was a tenth of a replay's reporting.
struct ReplayTimeFormatter {
    /// The last second written and its text up to the fraction (`2026-11-29T03:40:11.`).
    private var second: (seconds: Int64, text: [UInt8])?

    /// Appends `time` to `buffer`.
    mutating func append(_ time: CaptureTimestamp, to buffer: inout [UInt8]) {
        let prefix: [UInt8]
        if let second, second.seconds == time.seconds {
            prefix = second.text
        } else {
            let text = ReplayReport.iso8601(CaptureTimestamp(seconds: time.seconds, nanoseconds: 0))
            prefix = Array(text.utf8.dropLast(7))  // without "000000Z"
            second = (time.seconds, prefix)
        }
        buffer.append(contentsOf: prefix)
        var micros = time.nanoseconds / 1_000  // below 1,000,000: six digits
        let start = buffer.count
        for _ in 0..<6 {
            buffer.append(UInt8(ascii: "0") + UInt8(micros % 10))
            micros /= 10
        }
        buffer[start..<(start + 6)].reverse()
        buffer.append(UInt8(ascii: "Z"))
    }
}
