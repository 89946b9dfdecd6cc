import Foundation
import TestSupport

/// One deployment under test, in a fresh ``NetworkTopology``: the caller (baresip) in the
/// caller namespace, the element under test at the edge (sipfence, or Kamailio for the
/// control), a record-routing Kamailio and the callee (baresip) in the upstream namespace,
/// and a capture of both edge interfaces. ``with(_:edge:_:)`` starts them in that order and
/// stops them in reverse however the body ends; a failure carries the diagnostics (the
/// SIP flow the edge saw, the UAs' events, the proxies' logs).
struct ProxyDeployment: Sendable {
    /// What runs at the edge.
    enum Edge: String, Sendable {
        case sipfence
        case kamailio
    }

    let callCase: CallCase
    let topology: NetworkTopology
    let capture: EdgeCapture
    let edgeProcess: ManagedProcess
    let upstreamProxy: ManagedProcess
    let caller: Baresip
    let callee: Baresip
    /// The capture's interface index of the edge's outside interface.
    let outsideIndex: Int
    /// The capture's interface index of the edge's inside interface.
    let insideIndex: Int

    /// The address the caller dials: the upstream proxy sends it to the callee.
    static let dialedURI = "sip:bob@\(SipfenceEdge.domain)"

    static func callerConfiguration(_ callCase: CallCase, _ topology: NetworkTopology) -> Baresip.Configuration {
        Baresip.Configuration(
            user: "alice", address: callCase.callerAddress, port: 5070, transport: callCase.transport,
            interface: topology.callerInterface, outboundProxy: "\(uriHost(callCase.outsideAddress)):5060",
            answersAutomatically: false, controlPort: 4411)
    }

    static func calleeConfiguration(_ callCase: CallCase, _ topology: NetworkTopology) -> Baresip.Configuration {
        Baresip.Configuration(
            user: "bob", address: NetworkTopology.upstreamIPv4, port: 5080, transport: callCase.insideTransport,
            interface: topology.upstreamInterface, outboundProxy: nil, answersAutomatically: true, controlPort: 4412)
    }

    /// Builds the deployment for `callCase` with `edge` at the edge, runs `body`, and tears
    /// everything down.
    static func with(_ callCase: CallCase, edge: Edge, _ body: (ProxyDeployment) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            try await NetworkTopology.with(in: directory) { topology in
                let outsideIndex = try await topology.edgeInterfaceIndex(topology.outsideInterface)
                let insideIndex = try await topology.edgeInterfaceIndex(topology.insideInterface)
                let calleeConfiguration = calleeConfiguration(callCase, topology)
                let upstreamSockets = ["udp", "tcp"].map { "\($0):\(NetworkTopology.upstreamIPv4):5060" }
                try await EdgeCapture.run(in: topology.edge, directory: directory) { capture in
                    try await RecordRoutingKamailio.run(
                        "kamailio-rr-upstream.cfg", values: ["CALLEE": calleeConfiguration.uri], sockets: upstreamSockets,
                        in: topology.upstream, directory: directory
                    ) { upstreamProxy in
                        try await Baresip.run(calleeConfiguration, in: topology.upstream, directory: directory) { callee in
                            try await runEdge(edge, callCase: callCase, topology: topology, directory: directory) { edgeProcess in
                                try await Baresip.run(callerConfiguration(callCase, topology), in: topology.caller, directory: directory) { caller in
                                    let deployment = ProxyDeployment(
                                        callCase: callCase, topology: topology, capture: capture, edgeProcess: edgeProcess,
                                        upstreamProxy: upstreamProxy, caller: caller, callee: callee,
                                        outsideIndex: outsideIndex, insideIndex: insideIndex)
                                    do {
                                        try await body(deployment)
                                    } catch let cancellation as CancellationError {
                                        throw cancellation
                                    } catch {
                                        throw HarnessError.failed("\(error)\n\n\(await deployment.diagnostics())")
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Starts the edge element: sipfence, or Kamailio on the same sockets.
    private static func runEdge(
        _ edge: Edge, callCase: CallCase, topology: NetworkTopology, directory: URL, body: (ManagedProcess) async throws -> Void
    ) async throws {
        switch edge {
        case .sipfence:
            try await SipfenceEdge.run(upstreamTransport: callCase.insideTransport, topology: topology, directory: directory, body: body)
        case .kamailio:
            let upstream = "sip:\(NetworkTopology.upstreamIPv4):5060\(callCase.insideTransport.uriParameter)"
            try await RecordRoutingKamailio.run(
                "kamailio-rr-edge.cfg", values: ["UPSTREAM": upstream], sockets: SipfenceEdge.outsideSockets + SipfenceEdge.insideSockets,
                in: topology.edge, directory: directory, body: body)
        }
    }

    /// What a failure report needs: the SIP messages the edge saw, the UAs' control
    /// events, and the tails of the edge's and the upstream proxy's logs.
    func diagnostics() async -> String {
        let flow: String
        do {
            flow = try await capture.messages().map(\.description).joined(separator: "\n")
        } catch {
            flow = "(capture unreadable: \(error))"
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: capture.file.path)[.size] as? Int).flatMap { $0 }
        let file = size.map { "\($0) bytes" } ?? "no capture file"
        return """
            SIP at the edge (if\(outsideIndex) = outside, if\(insideIndex) = inside; \(file); \(capture.process.standardError.suffix(300))):
            \(flow)
            caller events:
            \(caller.control.messages.map(\.description).joined(separator: "\n"))
            callee events:
            \(callee.control.messages.map(\.description).joined(separator: "\n"))
            \(edgeProcess.name) stdout:
            \(edgeProcess.standardOutput.suffix(2000))
            \(edgeProcess.name) stderr:
            \(edgeProcess.standardError.suffix(12000))
            upstream kamailio stderr:
            \(upstreamProxy.standardError.suffix(5000))
            """
    }
}
