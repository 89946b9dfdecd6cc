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
/// - `sipfence_tcp_connections_refused_total`: connections closed at accept over the limit.
/// - `sipfence_upstream_errors_total{reason}`: failed connects to, or sends towards, upstream.
/// - `sipfence_send_failures_total{reason}`: answers or relays that could not be sent.
/// - `sipfence_keepalives_total{transport}`: keep-alives received.
final class SIPEdgeMetrics: Sendable {
    private struct MessageKey: Hashable {
        let method: String
        let transport: String
        let verdict: AdmissionVerdict
    }

    private let messages = Mutex<[MessageKey: CoreMetrics.Counter]>([:])
    private let decisionDuration = CoreMetrics.Timer(label: "sipfence_decision_duration_seconds", preferredDisplayUnit: .seconds)
    private let connections = Gauge(label: "sipfence_tcp_connections")
    private let refusedConnections = CoreMetrics.Counter(label: "sipfence_tcp_connections_refused_total")
    private let openConnections = Atomic<Int>(0)

    /// Counts per verdict, for the daemon's status line.
    let verdictCounts = Mutex<[AdmissionVerdict: Int]>([:])

    static let knownMethods: Set<String> = [
        "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "PRACK", "UPDATE", "INFO", "REFER",
        "NOTIFY", "SUBSCRIBE", "MESSAGE", "PUBLISH",
    ]

    func record(_ decision: AdmissionDecision, transport: SIPTransport, duration: Duration) {
        let method = decision.method.map { Self.knownMethods.contains($0) ? $0 : "other" } ?? "unknown"
        let key = MessageKey(method: method, transport: transport.rawValue.lowercased(), verdict: decision.verdict)
        let counter = messages.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = CoreMetrics.Counter(
                label: "sipfence_sip_messages_total",
                dimensions: [("method", key.method), ("transport", key.transport), ("verdict", key.verdict.rawValue)]
            )
            counters[key] = counter
            return counter
        }
        counter.increment()
        verdictCounts.withLock { $0[decision.verdict, default: 0] += 1 }
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

    func connectionRefused() {
        refusedConnections.increment()
    }

    func upstreamError(_ reason: String) {
        CoreMetrics.Counter(label: "sipfence_upstream_errors_total", dimensions: [("reason", reason)]).increment()
    }

    func sendFailed(_ reason: String) {
        CoreMetrics.Counter(label: "sipfence_send_failures_total", dimensions: [("reason", reason)]).increment()
    }

    func keepAlive(_ transport: SIPTransport) {
        CoreMetrics.Counter(label: "sipfence_keepalives_total", dimensions: [("transport", transport.rawValue.lowercased())]).increment()
    }
}
