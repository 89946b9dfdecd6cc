import AccessControl
import Admission
import Capture
import SIPCore

/// Runs the SIP messages of a capture through ``AdmissionPipeline`` exactly as the daemon
/// would handle them, with the packet's source address as the source.
///
/// UDP payloads are messages; TCP bytes are framed per direction with the daemon's own
/// ``SIPStreamFraming``. Payloads that do not look like SIP at all (RTP, DNS, …) are
/// skipped and counted, as are keep-alives.
struct ReplayEngine {
    /// One SIP message and what the pipeline decided about it.
    struct Outcome {
        let time: CaptureTimestamp
        let transport: SIPTransport
        let source: CaptureEndpoint
        let destination: CaptureEndpoint
        let decision: AdmissionDecision
    }

    /// Counts over everything replayed.
    struct Summary: Sendable {
        var messages = 0
        /// Requests per registered method (``SIPMessage/registeredMethods``); every other
        /// method token is counted in ``otherMethods``.
        var requestsByMethod: [String: Int] = [:]
        var otherMethods = OtherMethods()
        var responses = 0
        var invites: [AdmissionVerdict: Int] = [:]
        var malformed = 0
        var nonSIP = 0
        var keepAlives = 0
        var oversized = 0
        var unframedBytes = 0
        /// Messages the flood limits dropped before parsing, by reason (`over_limit`, `banned`).
        var floodDropped: [String: Int] = [:]
        /// Bans the flood limits started, in order.
        var bans: [FloodBan] = []
        var requests: Int { requestsByMethod.values.reduce(0, +) + otherMethods.requests }

        mutating func countRequest(method: String?) {
            if let method, SIPMessage.registeredMethods.contains(method) {
                requestsByMethod[method, default: 0] += 1
            } else {
                otherMethods.count(method ?? "?")
            }
        }
    }

    /// Requests with a method outside the registry: a hostile or mutated capture can carry
    /// thousands of distinct tokens, so they are one bucket with a bounded tally of names.
    struct OtherMethods: Sendable {
        /// Names tallied before the rest are only counted.
        static let trackedNames = 1024
        var requests = 0
        /// Counts per name, for the first ``trackedNames`` distinct names.
        private(set) var byName: [String: Int] = [:]
        /// Whether more distinct names were seen than are tallied.
        private(set) var moreNames = false

        mutating func count(_ method: String) {
            requests += 1
            if byName[method] != nil || byName.count < Self.trackedNames {
                byName[method, default: 0] += 1
            } else {
                moreNames = true
            }
        }

        /// "N distinct", or "at least N distinct" past the tally's bound.
        var distinctDescription: String {
            moreNames ? "at least \(byName.count + 1) distinct" : "\(byName.count) distinct"
        }

        /// The most frequent names, most frequent first.
        func top(_ count: Int) -> [(method: String, requests: Int)] {
            byName.sorted { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }.prefix(count).map { ($0.key, $0.value) }
        }
    }

    private struct Direction: Hashable {
        let source: CaptureEndpoint
        let destination: CaptureEndpoint
    }

    let pipeline: AdmissionPipeline
    let policy: Policy
    let maximumMessageSize: Int
    /// `sip.max_header_bytes`: the header bound the daemon frames TCP streams with.
    let maximumHeaderSize: Int?
    /// The flood limits, fresh for this replay and driven by the packets' capture times,
    /// or `nil` to replay without them.
    let flood: FloodGuard?
    private(set) var summary = Summary()
    private var streams: [Direction: [UInt8]] = [:]

    init(
        pipeline: AdmissionPipeline, policy: Policy, maximumMessageSize: Int = 65_536, maximumHeaderSize: Int? = nil,
        flood: FloodGuard? = nil
    ) {
        self.pipeline = pipeline
        self.policy = policy
        self.maximumMessageSize = maximumMessageSize
        self.maximumHeaderSize = maximumHeaderSize
        self.flood = flood
    }

    /// Handles one capture event, calling `report` for every SIP message it completes.
    mutating func feed(_ event: CaptureEvent, report: (Outcome) -> Void) {
        switch event {
        case .datagram(let time, let source, let destination, let payload):
            guard !SIPStreamFraming.isKeepAlive(payload) else {
                summary.keepAlives += 1
                return
            }
            guard SIPMessage.looksLikeSIP(payload) else {
                summary.nonSIP += 1
                return
            }
            let oversized = payload.count > maximumMessageSize
            if oversized { summary.oversized += 1 }
            handle(payload, oversized: oversized, time: time, transport: .udp, source: source, destination: destination, report: report)
        case .stream(let time, let source, let destination, let bytes):
            let direction = Direction(source: source, destination: destination)
            var buffer = streams.removeValue(forKey: direction) ?? []
            buffer.append(contentsOf: bytes)
            frame(&buffer, time: time, direction: direction, report: report)
            if !buffer.isEmpty { streams[direction] = buffer }
        case .streamEnded(_, let source, let destination):
            if let leftover = streams.removeValue(forKey: Direction(source: source, destination: destination)) {
                summary.unframedBytes += leftover.count
            }
        }
    }

    /// Cuts complete messages from the front of a TCP direction's buffer.
    private mutating func frame(_ buffer: inout [UInt8], time: CaptureTimestamp, direction: Direction, report: (Outcome) -> Void) {
        var consumed = 0
        defer { if consumed > 0 { buffer.removeFirst(consumed) } }
        while consumed < buffer.count {
            let frame = buffer.withUnsafeBytes { raw in
                SIPStreamFraming.frame(
                    UnsafeRawBufferPointer(rebasing: raw[consumed...]), maximumMessageSize: maximumMessageSize,
                    maximumHeaderSize: maximumHeaderSize)
            }
            switch frame {
            case .needMoreData:
                if consumed == 0, !SIPMessage.looksLikeSIP(buffer), buffer.contains(UInt8(ascii: "\n")) {
                    // Not a SIP stream (the first line is complete and is not SIP): skip it.
                    summary.nonSIP += 1
                    consumed = buffer.count
                }
                return
            case .ping(let length):
                summary.keepAlives += 1
                consumed += length
            case .padding(let length):
                consumed += length
            case .message(let length):
                let message = Array(buffer[consumed..<(consumed + length)])
                consumed += length
                guard SIPMessage.looksLikeSIP(message) else {
                    summary.nonSIP += 1
                    continue
                }
                handle(message, oversized: false, time: time, transport: .tcp, source: direction.source, destination: direction.destination, report: report)
            case .tooLarge(let headerPrefix):
                summary.oversized += 1
                let prefix = Array(buffer[consumed..<(consumed + headerPrefix)])
                handle(prefix, oversized: true, time: time, transport: .tcp, source: direction.source, destination: direction.destination, report: report)
                // The daemon closes such a connection: nothing after it counts.
                summary.unframedBytes += buffer.count - consumed - headerPrefix
                consumed = buffer.count
            case .unframable(let headerLength):
                let headers = Array(buffer[consumed..<(consumed + headerLength)])
                handle(headers, oversized: false, time: time, transport: .tcp, source: direction.source, destination: direction.destination, report: report)
                summary.unframedBytes += buffer.count - consumed - headerLength
                consumed = buffer.count
            }
        }
    }

    private mutating func handle(
        _ bytes: [UInt8],
        oversized: Bool,
        time: CaptureTimestamp,
        transport: SIPTransport,
        source: CaptureEndpoint,
        destination: CaptureEndpoint,
        report: (Outcome) -> Void
    ) {
        // The packet's destination is the socket it arrived on: it says which side it came from.
        let sipSource = SIPSource(
            transport: transport, address: source.address, port: Int(source.port),
            interface: SIPEndpoint(transport: transport, address: destination.address, port: Int(destination.port)))
        // The daemon's flood screening, with the capture's clock: what it would have dropped.
        let captureTime = Double(time.seconds) + Double(time.nanoseconds) / 1e9
        if let flood {
            let screened = pipeline.screen(sipSource, policy: policy, limits: flood, at: captureTime)
            if let reason = screened.dropReason {
                summary.floodDropped[reason, default: 0] += 1
                if case .bannedNow(let ban) = screened { summary.bans.append(ban) }
                return
            }
        }
        let decision =
            oversized
            ? pipeline.decideOversized(bytes, from: sipSource)
            // The packet's own time, so digest nonces are judged as they were on the wire.
            : pipeline.decide(bytes, from: sipSource, policy: policy, now: UInt64(max(0, time.seconds)))
        if let flood, let ban = pipeline.recordOutcome(decision, from: sipSource, policy: policy, limits: flood, at: captureTime) {
            summary.bans.append(ban)
        }
        summary.messages += 1
        switch decision.kind {
        case .request: summary.countRequest(method: decision.method)
        case .response: summary.responses += 1
        case .unknown: break
        }
        if decision.verdict == .malformed { summary.malformed += 1 }
        if decision.kind == .request && decision.method == "INVITE" {
            summary.invites[decision.verdict, default: 0] += 1
        }
        report(Outcome(time: time, transport: transport, source: source, destination: destination, decision: decision))
    }
}
