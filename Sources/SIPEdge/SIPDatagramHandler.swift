import Admission
import NIOCore
import SIPCore

/// Serves one UDP socket where its datagrams are read: on its event loop, with no hop to
/// another thread per datagram.
///
/// Each datagram is screened and decided (``SIPEdge/admit(_:from:oversized:)``) as it is
/// read; what the decision sends over UDP to an IP address — a 403, a forward to a UDP
/// upstream, a relayed response — is written at once, and the writes of one read burst
/// (`sip.datagrams_per_read` datagrams) go out with one flush. Anything else (TCP, a next
/// hop named by DNS) goes in order to the socket's delivery task (`deliveries`), which
/// holds at most ``SIPEdge/pendingDeliveriesPerSocket``: beyond that, sends are dropped
/// and counted in `sipfence_send_failures_total{reason="delivery_queue_full"}`, as a full
/// socket buffer would drop them.
///
/// Why: handing every datagram to a Swift task cost two thread wake-ups and a scheduler
/// switch per message, which at low and middle rates was most of the CPU spent per call
/// (see Benchmarks/README.md, "sipfence versus Kamailio").
final class SIPDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let edge: SIPEdge
    private let id: SIPConnectionID
    private let endpoint: SIPEndpoint
    /// The receive space per datagram: a datagram that fills it is too large.
    private let capacity: Int
    private let deliveries: AsyncStream<SIPEdge.Delivery>.Continuation
    /// The address and port bound, known once the socket is.
    private var bound: SIPEndpoint?
    private var needsFlush = false

    /// - Parameters:
    ///   - endpoint: the socket as configured, the interface of its messages until the bound
    ///     address is known.
    ///   - deliveries: where sends that cannot be done on the event loop go; finished when
    ///     the socket closes.
    init(edge: SIPEdge, id: SIPConnectionID, endpoint: SIPEndpoint, capacity: Int, deliveries: AsyncStream<SIPEdge.Delivery>.Continuation) {
        self.edge = edge
        self.id = id
        self.endpoint = endpoint
        self.capacity = capacity
        self.deliveries = deliveries
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let address = envelope.remoteAddress.ipAddress, let port = envelope.remoteAddress.port else { return }
        let bytes = Array(envelope.data.readableBytesView)
        if SIPStreamFraming.isKeepAlive(bytes) {
            edge.metrics.keepAlive(.udp)
            return
        }
        let interface = bound ?? boundEndpoint(context.channel)
        let source = SIPSource(transport: .udp, address: address, port: port, connection: id, interface: interface)
        let (_, delivery) = edge.admit(bytes, from: source, oversized: bytes.count >= capacity)
        if let delivery { send(delivery, context: context) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deliveries.finish()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deliveries.finish()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A datagram socket reports ICMP errors (ECONNREFUSED) on reads; it stays open.
        edge.logger.debug("UDP socket error", metadata: ["error": "\(error)"])
    }

    /// Writes `delivery` now when it goes over UDP to an IP address, else queues it for
    /// the delivery task. A forwarded request whose write fails is answered with 503.
    private func send(_ delivery: SIPEdge.Delivery, context: ChannelHandlerContext) {
        guard let (listener, address) = edge.datagramRoute(for: delivery.outbound.destination) else {
            if case .dropped = deliveries.yield(delivery) {
                edge.metrics.sendFailed("delivery_queue_full")
            }
            return
        }
        let envelope = AddressedEnvelope(remoteAddress: address, data: ByteBuffer(bytes: delivery.outbound.bytes))
        var promise: EventLoopPromise<Void>?
        if delivery.request != nil {
            // Only a forwarded request has something to answer when the write fails.
            let failed = listener.channel.eventLoop.makePromise(of: Void.self)
            let edge = self.edge
            let deliveries = self.deliveries
            failed.futureResult.whenFailure { _ in
                if let answer = edge.failed(delivery, because: .writeFailed) { deliveries.yield(answer) }
            }
            promise = failed
        }
        if listener.id == id {
            context.write(wrapOutboundOut(envelope), promise: promise)
            needsFlush = true
        } else {
            listener.channel.writeAndFlush(envelope, promise: promise)
        }
    }

    private func boundEndpoint(_ channel: any Channel) -> SIPEndpoint {
        if let local = channel.localAddress, let address = local.ipAddress, let port = local.port {
            let endpoint = SIPEndpoint(transport: .udp, address: address, port: port)
            bound = endpoint
            return endpoint
        }
        return endpoint
    }
}
