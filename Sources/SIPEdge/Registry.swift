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
        let channel: any Channel
        var writer: NIOAsyncChannelOutboundWriter<AddressedEnvelope<ByteBuffer>>?
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

    private struct State: Sendable {
        var configuration: SIPEdgeConfiguration
        var pipeline: AdmissionPipeline?
        var datagramListeners: [DatagramListener] = []
        var streamListeners: [StreamListener] = []
        var connections: [SIPConnectionID: StreamConnection] = [:]
        var upstream: SIPConnectionID?
        var nextID: UInt64 = 1
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

    func setWriter(_ writer: NIOAsyncChannelOutboundWriter<AddressedEnvelope<ByteBuffer>>, for id: SIPConnectionID) {
        state.withLock { state in
            if let index = state.datagramListeners.firstIndex(where: { $0.id == id }) {
                state.datagramListeners[index].writer = writer
            }
        }
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
                let listener = state.datagramListeners.first(where: { $0.id == preferred && $0.writer != nil }),
                listener.bound.address.canonical.family == family
            {
                return listener
            }
            return state.datagramListeners.first { listener in
                listener.writer != nil && listener.bound.reaches(family)
            }
        }
    }

    /// The UDP socket bound to `endpoint` (addresses compared in canonical form).
    func datagramListener(bound endpoint: SIPEndpoint) -> DatagramListener? {
        state.withLock { state in
            state.datagramListeners.first { listener in
                listener.writer != nil && listener.bound.port == endpoint.port
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

    /// Every open TCP connection, inbound and outbound.
    var connectionCount: Int {
        state.withLock { $0.connections.count }
    }

    var upstreamConnection: StreamConnection? {
        state.withLock { state in state.upstream.flatMap { state.connections[$0] } }
    }

    /// Closes the upstream connection, so that the next one goes to the configured upstream.
    func dropUpstreamConnection() {
        upstreamConnection?.channel.close(promise: nil)
    }
}
