import Admission
import CoreMetrics
import SIPCore
import Synchronization

/// The SIP side's metrics, through swift-metrics (the daemon exports them to Prometheus).
///
/// - `sipfence_sip_messages_total{method,transport,verdict}`: every message and what
///   admission did with it. `method` is a well-known SIP method or `other`, so that a
///   flood of invented methods cannot explode the label set.
/// - `sipfence_decision_duration_seconds`: time from bytes to decision (histogram).
/// - `sipfence_tcp_connections`: open TCP connections (inbound and upstream).
/// - `sipfence_tcp_connections_refused_total{reason}`: connections closed at accept:
///   `banned`, `capacity`, `per_source_limit`, `reserved_for_known`.
/// - `sipfence_tcp_connections_closed_total{reason}`: connections sipfence closed after
///   accepting them: `first_message_timeout`, `message_timeout`, `too_large`,
///   `unframable`, `banned`.
/// - `sipfence_flood_dropped_total{reason,transport}`: requests dropped unanswered by the
///   flood limits: `over_limit`, `banned`.
/// - `sipfence_flood_bans_total{reason,transport}`: bans started: `request_rate`,
///   `digest_failures`.
/// - `sipfence_upstream_errors_total{reason}`: failed connects to, or sends towards, upstream.
/// - `sipfence_send_failures_total{reason}`: answers or relays that could not be sent.
/// - `sipfence_keepalives_total{transport}`: keep-alives received.
final class SIPEdgeMetrics: Sendable {
    /// Counters of one metric, one per label set, made on first use and kept: making a
    /// swift-metrics counter is a factory lookup, too dear for every packet.
    private final class CounterFamily: Sendable {
        let label: String
        private let counters = Mutex<[[String]: CoreMetrics.Counter]>([:])

        init(_ label: String) {
            self.label = label
        }

        func increment(_ dimensions: KeyValuePairs<String, String>) {
            let values = dimensions.map(\.value)
            let counter = counters.withLock { counters in
                if let counter = counters[values] { return counter }
                let counter = CoreMetrics.Counter(label: label, dimensions: dimensions.map { ($0.key, $0.value) })
                counters[values] = counter
                return counter
            }
            counter.increment()
        }
    }

    /// `sipfence_sip_messages_total`, and the counts per verdict, for every message.
    ///
    /// Counted once per message, so kept apart from ``CounterFamily``: a slot is found by
    /// position (method, transport, verdict), without building and hashing the label
    /// values, and both counts are updated under one lock.
    private final class MessageCounters: Sendable {
        /// The `method` label values: the registered methods, `other` and `unknown`.
        private static let methods = SIPMessage.registeredMethods.sorted() + ["other", "unknown"]
        private static let methodPositions = Dictionary(uniqueKeysWithValues: methods.enumerated().map { ($1, $0) })
        private static let transports = SIPTransport.allCases
        private static let verdicts = AdmissionVerdict.allCases

        private struct State {
            /// One counter per (method, transport, verdict), made on first use (a metric is
            /// exported only once it has counted something).
            var counters: [CoreMetrics.Counter?]
            /// Messages per verdict, in `verdicts` order.
            var perVerdict: [Int]
        }

        private let state = Mutex(
            State(
                counters: Array(repeating: nil, count: methods.count * transports.count * verdicts.count),
                perVerdict: Array(repeating: 0, count: verdicts.count)))

        /// Counts one message; `method` is `nil` for a response or an unreadable message.
        func increment(method: String?, transport: SIPTransport, verdict: AdmissionVerdict) {
            let methodPosition =
                method.map { Self.methodPositions[$0] ?? Self.methods.count - 2 } ?? Self.methods.count - 1
            guard let transportPosition = Self.transports.firstIndex(of: transport),
                let verdictPosition = Self.verdicts.firstIndex(of: verdict)
            else { return }
            let slot = (methodPosition * Self.transports.count + transportPosition) * Self.verdicts.count + verdictPosition
            let counter = state.withLock { state in
                state.perVerdict[verdictPosition] += 1
                if let counter = state.counters[slot] { return counter }
                let counter = CoreMetrics.Counter(
                    label: "sipfence_sip_messages_total",
                    dimensions: [
                        ("method", Self.methods[methodPosition]), ("transport", transport.label),
                        ("verdict", verdict.rawValue),
                    ])
                state.counters[slot] = counter
                return counter
            }
            counter.increment()
        }

        /// Messages per verdict so far (verdicts not seen are absent).
        var perVerdict: [AdmissionVerdict: Int] {
            let counts = state.withLock { $0.perVerdict }
            var result: [AdmissionVerdict: Int] = [:]
            for (position, count) in counts.enumerated() where count > 0 { result[Self.verdicts[position]] = count }
            return result
        }
    }

    private let messages = MessageCounters()
    private let upstreamErrors = CounterFamily("sipfence_upstream_errors_total")
    private let sendFailures = CounterFamily("sipfence_send_failures_total")
    private let keepAlives = CounterFamily("sipfence_keepalives_total")
    private let decisionDuration = CoreMetrics.Timer(label: "sipfence_decision_duration_seconds", preferredDisplayUnit: .seconds)
    private let connections = Gauge(label: "sipfence_tcp_connections")
    private let refusedConnections = CounterFamily("sipfence_tcp_connections_refused_total")
    private let closedConnections = CounterFamily("sipfence_tcp_connections_closed_total")
    private let floodDrops = CounterFamily("sipfence_flood_dropped_total")
    private let bans = CounterFamily("sipfence_flood_bans_total")
    private let openConnections = Atomic<Int>(0)

    /// Counts per verdict, for the daemon's status line.
    var verdictCounts: [AdmissionVerdict: Int] { messages.perVerdict }

    func record(_ decision: AdmissionDecision, transport: SIPTransport, duration: Duration) {
        messages.increment(method: decision.method, transport: transport, verdict: decision.verdict)
        let (seconds, attoseconds) = duration.components
        decisionDuration.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    func connectionOpened() {
        connections.record(openConnections.add(1, ordering: .relaxed).newValue)
    }

    func connectionClosed() {
        connections.record(openConnections.subtract(1, ordering: .relaxed).newValue)
    }

    var openConnectionCount: Int { openConnections.load(ordering: .relaxed) }

    func connectionRefused(_ reason: String) {
        refusedConnections.increment(["reason": reason])
    }

    func connectionClosed(because reason: String) {
        closedConnections.increment(["reason": reason])
    }

    func floodDropped(_ verdict: FloodVerdict, transport: SIPTransport) {
        guard let reason = verdict.dropReason else { return }
        floodDrops.increment(["reason": reason, "transport": transport.label])
    }

    func banned(_ ban: FloodBan) {
        bans.increment(["reason": ban.reason.rawValue, "transport": ban.transport.label])
    }

    func upstreamError(_ reason: String) {
        upstreamErrors.increment(["reason": reason])
    }

    func sendFailed(_ reason: String) {
        sendFailures.increment(["reason": reason])
    }

    func keepAlive(_ transport: SIPTransport) {
        keepAlives.increment(["transport": transport.label])
    }
}

extension SIPTransport {
    /// The transport as a metric label: `udp`, `tcp`.
    fileprivate var label: String {
        switch self {
        case .udp: "udp"
        case .tcp: "tcp"
        default: rawValue.lowercased()
        }
    }
}
