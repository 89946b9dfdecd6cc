import AccessControl
import Admission
import NIOCore
import SIPCore
import Synchronization

/// The edge's mutable state: configuration, current pipeline, and every socket and
/// connection it can send through. Sending tasks look things up here; nothing here is
/// held across an `await`.
final class Registry: Sendable {
    struct DatagramListener: Sendable {
        let id: SIPConnectionID
        let endpoint: SIPEndpoint
        let bound: SIPEndpoint
        let side: SIPInterface.Side
        /// The bound socket; anything may write `AddressedEnvelope<ByteBuffer>` to it.
        let channel: any Channel
    }

    struct StreamListener: Sendable {
        let id: SIPConnectionID
        let endpoint: SIPEndpoint
        let bound: SIPEndpoint
        let side: SIPInterface.Side
        let channel: any Channel
    }

    struct StreamConnection: Sendable {
        let id: SIPConnectionID
        let peer: IPAddress
        let port: Int
        let isUpstream: Bool
        let channel: any Channel
        let writer: NIOAsyncChannelOutboundWriter<ByteBuffer>
    }

    /// How a stream connection counts against the TCP limits.
    enum StreamSlot: Hashable, Sendable {
        /// Accepted from a caller: counted per source (``FloodLimits/sourceKey(for:)``),
        /// and, for a source outside every list, against the share not reserved for
        /// known sources.
        case inbound(source: IPPrefix, known: Bool)
        /// Opened by sipfence to a caller's next hop: counted in the total only.
        case outbound
        /// The upstream's connection: counted, never refused.
        case upstream
    }

    /// Why a stream connection was refused a slot.
    enum SlotRefusal: String, Sendable {
        /// `sip.max_tcp_connections` are open.
        case capacity
        /// The source has `sip.max_tcp_connections_per_source` open.
        case perSource = "per_source_limit"
        /// Unknown sources hold every slot not reserved for known ones
        /// (`sip.tcp_reserved_for_known`).
        case reservedForKnown = "reserved_for_known"
    }

    private struct Slots: Sendable {
        var total = 0
        var unknown = 0
        var bySource: [IPPrefix: Int] = [:]
    }

    private struct State: Sendable {
        var configuration: SIPEdgeConfiguration
        var pipeline: AdmissionPipeline?
        var datagramListeners: [DatagramListener] = []
        var streamListeners: [StreamListener] = []
        var connections: [SIPConnectionID: StreamConnection] = [:]
        var upstream: SIPConnectionID?
        var nextID: UInt64 = 1
        var slots = Slots()
    }

    private let state: Mutex<State>

    init(configuration: SIPEdgeConfiguration) {
        self.state = Mutex(State(configuration: configuration))
    }

    var configuration: SIPEdgeConfiguration {
        get { state.withLock { $0.configuration } }
        set { state.withLock { $0.configuration = newValue } }
    }

    var pipeline: AdmissionPipeline? {
        get { state.withLock { $0.pipeline } }
        set { state.withLock { $0.pipeline = newValue } }
    }

    /// A fresh identifier for a socket or connection.
    func makeID() -> SIPConnectionID {
        state.withLock { state in
            defer { state.nextID += 1 }
            return SIPConnectionID(state.nextID)
        }
    }

    var listeners: [SIPEdge.Listener] {
        state.withLock { state in
            state.datagramListeners.map { SIPEdge.Listener(endpoint: $0.endpoint, bound: $0.bound, side: $0.side) }
                + state.streamListeners.map { SIPEdge.Listener(endpoint: $0.endpoint, bound: $0.bound, side: $0.side) }
        }
    }

    // MARK: Listeners

    func add(_ listener: DatagramListener) {
        state.withLock { $0.datagramListeners.append(listener) }
    }

    func add(_ listener: StreamListener) {
        state.withLock { $0.streamListeners.append(listener) }
    }

    func removeListener(_ id: SIPConnectionID) {
        state.withLock { state in
            state.datagramListeners.removeAll { $0.id == id }
            state.streamListeners.removeAll { $0.id == id }
        }
    }

    /// Closes the listener `id` (its serving task then ends and removes it).
    func closeListener(_ id: SIPConnectionID) {
        let channels = state.withLock { state in
            state.datagramListeners.filter { $0.id == id }.map(\.channel) + state.streamListeners.filter { $0.id == id }.map(\.channel)
        }
        for channel in channels { channel.close(promise: nil) }
    }

    /// Closes the listeners configured as `endpoint` facing `side`.
    func closeListeners(for endpoint: SIPEndpoint, side: SIPInterface.Side) {
        let channels = state.withLock { state in
            state.datagramListeners.filter { $0.endpoint == endpoint && $0.side == side }.map(\.channel)
                + state.streamListeners.filter { $0.endpoint == endpoint && $0.side == side }.map(\.channel)
        }
        for channel in channels { channel.close(promise: nil) }
    }

    /// The UDP socket to send from: `preferred` when it is still open, else the first
    /// one of the destination's address family.
    func datagramListener(preferring preferred: SIPConnectionID?, family: IPAddress.Family) -> DatagramListener? {
        state.withLock { state in
            if let preferred,
                let listener = state.datagramListeners.first(where: { $0.id == preferred }),
                listener.bound.address.canonical.family == family
            {
                return listener
            }
            return state.datagramListeners.first { listener in
                listener.bound.reaches(family)
            }
        }
    }

    /// The UDP socket bound to `endpoint` (addresses compared in canonical form).
    func datagramListener(bound endpoint: SIPEndpoint) -> DatagramListener? {
        state.withLock { state in
            state.datagramListeners.first { listener in
                listener.bound.port == endpoint.port
                    && listener.bound.address.canonical == endpoint.address.canonical
            }
        }
    }

    // MARK: Connections

    func add(_ connection: StreamConnection) {
        state.withLock { state in
            state.connections[connection.id] = connection
            if connection.isUpstream { state.upstream = connection.id }
        }
    }

    func removeConnection(_ id: SIPConnectionID) {
        state.withLock { state in
            state.connections[id] = nil
            if state.upstream == id { state.upstream = nil }
        }
    }

    func connection(_ id: SIPConnectionID) -> StreamConnection? {
        state.withLock { $0.connections[id] }
    }

    /// An inbound connection from `address`: the one from `port` if there is one, else
    /// any from that address (a client's listening port often differs from the port its
    /// connection comes from).
    func connection(to address: IPAddress, port: Int) -> StreamConnection? {
        state.withLock { state in
            let fromAddress = state.connections.values.filter { !$0.isUpstream && $0.peer.canonical == address.canonical }
            return fromAddress.first { $0.port == port } ?? fromAddress.min { $0.id.rawValue < $1.id.rawValue }
        }
    }

    /// The open connection with exactly this peer address and port (not the upstream's).
    func connection(peer address: IPAddress, port: Int) -> StreamConnection? {
        state.withLock { state in
            state.connections.values.first { !$0.isUpstream && $0.peer.canonical == address.canonical && $0.port == port }
        }
    }

    /// Takes a slot for a new stream connection under the configured limits, or says
    /// why there is none. Every slot taken is given back with ``release(_:)``.
    func reserve(_ slot: StreamSlot) -> SlotRefusal? {
        state.withLock { state in
            let configuration = state.configuration
            var slots = state.slots
            switch slot {
            case .upstream:
                break
            case .outbound:
                guard slots.total < configuration.maxTCPConnections else { return .capacity }
            case .inbound(let source, let known):
                guard slots.total < configuration.maxTCPConnections else { return .capacity }
                let perSource = configuration.maxTCPConnectionsPerSource
                if perSource > 0, slots.bySource[source, default: 0] >= perSource { return .perSource }
                if !known {
                    let reserved = Int((Double(configuration.maxTCPConnections) * configuration.tcpReservedForKnown).rounded(.up))
                    guard slots.unknown < configuration.maxTCPConnections - reserved else { return .reservedForKnown }
                    slots.unknown += 1
                }
                slots.bySource[source, default: 0] += 1
            }
            slots.total += 1
            state.slots = slots
            return nil
        }
    }

    /// Gives back a slot taken with ``reserve(_:)``.
    func release(_ slot: StreamSlot) {
        state.withLock { state in
            state.slots.total -= 1
            guard case .inbound(let source, let known) = slot else { return }
            if !known { state.slots.unknown -= 1 }
            let remaining = state.slots.bySource[source, default: 1] - 1
            state.slots.bySource[source] = remaining > 0 ? remaining : nil
        }
    }

    var upstreamConnection: StreamConnection? {
        state.withLock { state in state.upstream.flatMap { state.connections[$0] } }
    }

    /// Closes the upstream connection, so that the next one goes to the configured upstream.
    func dropUpstreamConnection() {
        upstreamConnection?.channel.close(promise: nil)
    }
}
