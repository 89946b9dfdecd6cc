import Admission
import Capture
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Writes replay results: one line per INVITE (text or a JSON object), then a summary.
/// Output is buffered and written in large blocks, so that printing does not dominate a
/// replay of millions of messages.
struct ReplayReport {
    /// Which INVITEs get a line.
    enum Filter: String, CaseIterable, Sendable {
        case all
        case admitted
        case rejected
    }

    let json: Bool
    let filter: Filter
    private var buffer: [UInt8] = []
    private var times = ReplayTimeFormatter()

    init(json: Bool, filter: Filter) {
        self.json = json
        self.filter = filter
        buffer.reserveCapacity(1 << 16)
    }

    /// Records one outcome; only INVITEs that pass the filter are printed.
    mutating func add(_ outcome: ReplayEngine.Outcome) {
        let decision = outcome.decision
        guard decision.kind == .request, decision.method == "INVITE" else { return }
        switch filter {
        case .all: break
        case .admitted: guard decision.verdict == .admitted else { return }
        case .rejected: guard decision.verdict != .admitted else { return }
        }
        let transport = outcome.transport.rawValue.lowercased()
        if json {
            let time = Self.iso8601(outcome.time)
            let object: [String: Any] = [
                "time": time,
                "transport": transport,
                "source": outcome.source.description,
                "destination": outcome.destination.description,
                "call_id": decision.callID ?? NSNull(),
                "domain": decision.domain?.normalized ?? NSNull(),
                "verdict": decision.verdict.rawValue,
                "reason": decision.reason,
                "status": decision.statusCode ?? NSNull(),
                "ip_access_control_list_sid": decision.match?.listID ?? NSNull(),
                "ip_access_control_list": decision.match?.listName ?? NSNull(),
                "prefix": decision.match?.prefix.description ?? NSNull(),
            ]
            appendJSON(object)
        } else {
            // Written piece by piece into the output buffer, not as one interpolated line.
            times.append(outcome.time, to: &buffer)
            var pieces = [
                " ", transport, " ", outcome.source.description, " -> ", outcome.destination.description,
                " call-id=", decision.callID ?? "-", " domain=", decision.domain?.normalized ?? "-",
                " verdict=", decision.verdict.description, " reason=", decision.reason,
            ]
            if let match = decision.match {
                pieces += [" list=", match.listID, " (", match.listName, ") prefix=", match.prefix.description]
            }
            for piece in pieces { buffer.append(contentsOf: piece.utf8) }
            buffer.append(UInt8(ascii: "\n"))
        }
        if buffer.count >= 1 << 16 { flush() }
    }

    /// Writes the summary and flushes.
    mutating func finish(summary: ReplayEngine.Summary, captures: [(name: String, statistics: CaptureStatistics)]) {
        // Packets skipped by the capture reader, and payloads skipped as not SIP, by reason.
        var skipped = captures.reduce(into: [String: Int]()) { counts, capture in
            for (reason, count) in capture.statistics.skipped { counts["\(reason)", default: 0] += count }
        }
        if summary.nonSIP > 0 { skipped["not SIP", default: 0] += summary.nonSIP }
        let packets = captures.reduce(0) { $0 + $1.statistics.packets }
        let reassembled = captures.reduce(0) { $0 + $1.statistics.reassembledDatagrams }
        let incomplete = captures.reduce(0) { $0 + $1.statistics.incompleteDatagrams }
        let nonSIPPackets = skipped.values.reduce(0, +)
        let invites = { (verdict: AdmissionVerdict) in summary.invites[verdict, default: 0] }
        if json {
            appendJSON([
                "summary": [
                    "captures": captures.map(\.name),
                    "packets": packets,
                    "messages": summary.messages,
                    "requests": summary.requests,
                    "requests_by_method": summary.requestsByMethod,
                    "other_methods": [
                        "requests": summary.otherMethods.requests,
                        "distinct": summary.otherMethods.distinctDescription,
                        "top": summary.otherMethods.top(10).map { ["method": $0.method, "requests": $0.requests] as [String: Any] },
                    ] as [String: Any],
                    "responses": summary.responses,
                    "invites": Dictionary(uniqueKeysWithValues: AdmissionVerdict.allCases.compactMap { verdict in
                        summary.invites[verdict].map { (verdict.rawValue, $0) }
                    }),
                    "malformed": summary.malformed,
                    "non_sip_skipped": nonSIPPackets,
                    "skipped_by_reason": skipped,
                    "keepalives": summary.keepAlives,
                    "oversized": summary.oversized,
                    "reassembled_datagrams": reassembled,
                    "incomplete_datagrams": incomplete,
                    "flood_dropped": summary.floodDropped,
                    "bans": summary.bans.map { ban in
                        [
                            "source": ban.source.description, "address": ban.address.description,
                            "transport": ban.transport.rawValue.lowercased(), "reason": ban.reason.rawValue,
                            "since": ban.since, "until": ban.until, "offences": ban.offences,
                        ] as [String: Any]
                    },
                ] as [String: Any]
            ])
        } else {
            append("summary: \(summary.messages) SIP messages (\(summary.requests) requests, \(summary.responses) responses) in \(packets) packets")
            let methods = summary.requestsByMethod.sorted { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }
            var counts = methods.map { "\($0.key) \($0.value)" }
            if summary.otherMethods.requests > 0 {
                counts.append("other \(summary.otherMethods.requests) (\(summary.otherMethods.distinctDescription))")
            }
            append("  requests by method: " + (counts.isEmpty ? "none" : counts.joined(separator: ", ")))
            append(
                "  INVITEs: \(invites(.admitted)) admitted, \(invites(.rejected)) rejected, \(invites(.unknownDomain)) unknown domain, "
                    + "\(invites(.tooManyHops)) too many hops, \(invites(.malformed)) malformed"
            )
            append("  malformed messages: \(summary.malformed)")
            var skippedLine = "  non-SIP packets skipped: \(nonSIPPackets)"
            if !skipped.isEmpty {
                skippedLine += " (" + skipped.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")"
            }
            append(skippedLine)
            if reassembled + incomplete > 0 {
                append("  fragmented datagrams: \(reassembled) reassembled, \(incomplete) incomplete")
            }
            if summary.keepAlives > 0 { append("  keep-alives: \(summary.keepAlives)") }
            if summary.oversized > 0 { append("  oversized messages: \(summary.oversized)") }
            if !summary.floodDropped.isEmpty {
                append(
                    "  dropped by flood limits (not counted above): "
                        + summary.floodDropped.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            }
            for ban in summary.bans { append("  \(ban.logLine)") }
        }
        flush()
    }

    private mutating func append(_ line: String) {
        buffer.append(contentsOf: line.utf8)
        buffer.append(UInt8(ascii: "\n"))
    }

    private mutating func appendJSON(_ object: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        buffer.append(contentsOf: data)
        buffer.append(UInt8(ascii: "\n"))
    }

    mutating func flush() {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(1, raw.baseAddress?.advanced(by: offset), raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// `2026-11-29T03:40:11.123456Z`.
    static func iso8601(_ time: CaptureTimestamp) -> String {
        var seconds = time_t(time.seconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let micros = String(time.nanoseconds / 1_000)
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))."
            + String(repeating: "0", count: 6 - micros.count) + micros + "Z"
    }
}
