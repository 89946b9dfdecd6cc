import Foundation
import Testing

/// sipfence as deployed in front of a private SIP proxy, proven with real user agents:
/// baresip calls through sipfence (at the edge of three network namespaces) to a
/// record-routing Kamailio and a baresip callee behind it. The caller can reach only
/// sipfence's outside address and the upstream only its inside one, so a call that is set
/// up, put on hold and resumed by either side, and ended by BYE from either side, shows
/// that sipfence Record-Routes and routes in-dialog requests both ways. The capture at the
/// edge shows each of those requests arriving on one of sipfence's interfaces and leaving
/// by the other.
///
/// A control runs the same topology with Kamailio at the edge: when it passes and a
/// sipfence case fails, the fault is sipfence's, not the harness's.
@Suite("Integration: sipfence deployed in front of a record-routing proxy, real UAs in network namespaces", .serialized)
struct ProxyDeploymentTests {
    @Test("control: with Kamailio at the edge the same call completes", arguments: zip(CallCase.all, [HangUpSide.caller, .callee, .callee]))
    func control(callCase: CallCase, hangUp: HangUpSide) async throws {
        try await Self.callThroughEdge(callCase, hangUp: hangUp, edge: .kamailio)
    }

    @Test("a call through sipfence completes: INVITE, ACK, re-INVITEs both ways and BYE cross it", arguments: CallCase.all, HangUpSide.allCases)
    func callThroughSipfence(callCase: CallCase, hangUp: HangUpSide) async throws {
        try await Self.callThroughEdge(callCase, hangUp: hangUp, edge: .sipfence)
    }

    /// Sets up a call from the caller, holds and resumes it from each side, ends it from
    /// `hangUp`'s side, and checks in the edge's capture that every request crossed the edge.
    static func callThroughEdge(_ callCase: CallCase, hangUp: HangUpSide, edge: ProxyDeployment.Edge) async throws {
        try await ProxyDeployment.with(callCase, edge: edge) { deployment in
            let topology = deployment.topology
            // The proof is only real if the parties cannot reach each other but through the edge.
            for address in [NetworkTopology.upstreamIPv4, NetworkTopology.upstreamIPv6, NetworkTopology.insideIPv4] {
                #expect(try await !topology.hasRoute(from: topology.caller, to: address), "the caller has a route to \(address)")
            }
            for address in [NetworkTopology.callerIPv4, NetworkTopology.callerIPv6] {
                #expect(try await !topology.hasRoute(from: topology.upstream, to: address), "the upstream has a route to \(address)")
            }

            let caller = deployment.caller
            let callee = deployment.callee
            try await caller.dial(ProxyDeployment.dialedURI)
            try await callee.waitUntilEstablished()
            try await caller.hold()
            try await caller.resume()
            try await callee.hold()
            try await callee.resume()
            switch hangUp {
            case .caller:
                try await caller.hangUp()
                try await callee.waitUntilClosed()
            case .callee:
                try await callee.hangUp()
                try await caller.waitUntilClosed()
            }

            let messages = try await deployment.capture.finish()
            let report = "\(await deployment.diagnostics())"
            checkCrossings(messages, deployment, hangUp: hangUp, report: report)
        }
    }

    /// Checks that every request of the call crossed the edge: the caller's arrived on the
    /// outside interface from the caller and left by the inside one to the upstream proxy;
    /// the callee's came the other way; all over the case's transport; and the initial
    /// INVITE left Record-Routed with both of the edge's sides.
    static func checkCrossings(_ messages: [CapturedSIPMessage], _ deployment: ProxyDeployment, hangUp: HangUpSide, report: String) {
        let callCase = deployment.callCase
        let inside = NetworkTopology.insideIPv4
        let upstream = NetworkTopology.upstreamIPv4
        func requests(on interface: Int, _ direction: CapturedSIPMessage.Direction, from source: String, to destination: String) -> [CapturedSIPMessage] {
            messages.filter {
                $0.isRequest && $0.interfaceIndex == interface && $0.direction == direction && $0.source == source && $0.destination == destination
            }
        }
        func keys(_ requests: [CapturedSIPMessage]) -> Set<String> { Set(requests.map { "\($0.method ?? "") \($0.sequence)" }) }
        func sequences(_ requests: [CapturedSIPMessage], _ method: String) -> Set<Int> { Set(requests.filter { $0.method == method }.map(\.sequence)) }

        // From the caller: outside in, inside out.
        let callerIn = requests(on: deployment.outsideIndex, .received, from: callCase.callerAddress, to: callCase.outsideAddress)
        let callerOut = requests(on: deployment.insideIndex, .sent, from: inside, to: upstream)
        // From the callee (through the upstream proxy): inside in, outside out.
        let calleeIn = requests(on: deployment.insideIndex, .received, from: upstream, to: inside)
        let calleeOut = requests(on: deployment.outsideIndex, .sent, from: callCase.outsideAddress, to: callCase.callerAddress)

        let callerInvites = sequences(callerIn, "INVITE")
        #expect(callerInvites.count >= 3, "the caller's INVITE, hold and resume re-INVITEs did not all reach the edge\n\(report)")
        #expect(sequences(callerIn, "ACK") == callerInvites, "the caller's ACKs do not match its INVITEs\n\(report)")
        #expect(sequences(callerIn, "BYE").count == (hangUp == .caller ? 1 : 0), "the caller's BYEs\n\(report)")
        let callerStuck = keys(callerIn).subtracting(keys(callerOut)).sorted()
        #expect(callerStuck.isEmpty, "requests from the caller that did not leave on the inside: \(callerStuck)\n\(report)")

        let calleeInvites = sequences(calleeIn, "INVITE")
        #expect(calleeInvites.count >= 2, "the callee's hold and resume re-INVITEs did not both reach the edge\n\(report)")
        #expect(sequences(calleeIn, "ACK") == calleeInvites, "the callee's ACKs do not match its re-INVITEs\n\(report)")
        #expect(sequences(calleeIn, "BYE").count == (hangUp == .callee ? 1 : 0), "the callee's BYEs\n\(report)")
        let calleeStuck = keys(calleeIn).subtracting(keys(calleeOut)).sorted()
        #expect(calleeStuck.isEmpty, "requests from the callee that did not leave on the outside: \(calleeStuck)\n\(report)")

        let crossing = callerIn + callerOut + calleeIn + calleeOut
        #expect(crossing.allSatisfy { $0.overTCP == (callCase.transport == .tcp) }, "a request used the wrong transport\n\(report)")

        let initial = callerOut.filter { $0.method == "INVITE" }.min { $0.sequence < $1.sequence }
        #expect(
            initial.map { $0.recordRoute.contains(inside) && $0.recordRoute.contains(uriHost(callCase.outsideAddress)) } == true,
            "the initial INVITE did not leave Record-Routed with both of the edge's addresses\n\(report)")
    }
}
