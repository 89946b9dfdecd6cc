import AccessControl
import Admission
import Capture
import SIPCore

@testable import sipfence

/// The policy and settings the replay suites run their captures against: example.com
/// admits 192.0.2.0/24 (the list "carrier"); sipfence listens on 198.51.100.1:5060.
enum ReplayFixtures {
    static let policy = Policy(
        generation: 1,
        lists: [AccessList(id: "AL1", name: "carrier", prefixes: [try! IPPrefix("192.0.2.0/24")])],
        mappings: [DomainName(normalizing: "example.com"): ["AL1"]])

    static let settings = AdmissionSettings(
        upstream: try! SIPEndpoint("udp:10.0.0.2:5060"),
        interfaces: [SIPInterface(endpoint: try! SIPEndpoint("udp:198.51.100.1:5060"), advertisedHost: "198.51.100.1", side: .both)],
        secret: .random())

    /// Replays `events` through a fresh engine: its summary and every outcome it reported.
    static func replay(_ events: [CaptureEvent], flood: FloodGuard? = nil) -> (summary: ReplayEngine.Summary, outcomes: [ReplayEngine.Outcome]) {
        var engine = ReplayEngine(pipeline: AdmissionPipeline(settings: settings), policy: policy, flood: flood)
        var outcomes: [ReplayEngine.Outcome] = []
        for event in events { engine.feed(event) { outcomes.append($0) } }
        return (engine.summary, outcomes)
    }
}
