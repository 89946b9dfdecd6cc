import Admission
import NIOCore
import SIPCore

/// Decides a stream connection's messages where they are framed: on its event loop, with
/// no hop to the connection's task for what sipfence answers itself.
///
/// Each message is screened and decided (``SIPEdge/admit(_:from:oversized:)``) as it is
/// framed. An answer that goes back on this connection — a 403, a 400, a 513 — and the
/// pong to a keep-alive are written at once, with one flush per read burst; anything else
/// goes to the connection's task (a ``SIPEdge/Delivery``), which sends it in order.
/// A source banned by its own message, and a stream that cannot go on (a message too
/// large, a Content-Length that cannot frame it), are closed here.
///
/// The handler acts only once the connection's task has registered the connection and
/// sent ``Start`` with the flow its messages come from: what is framed before that is held
/// (reading pauses once ``maximumHeldEvents`` wait) and decided in order when ``Start``
/// arrives, so that every message on a stream is decided here and nowhere else.
///
/// Why: each message hopped from the event loop to a Swift task and each answer back,
/// which made a refused call over TCP cost more CPU than over UDP (see
/// Benchmarks/README.md, "sipfence versus Kamailio").
final class SIPStreamHandler: ChannelDuplexHandler {
    typealias InboundIn = SIPStreamEvent
    /// A message decided here whose sending may wait (a forward to the upstream, a next hop
    /// named by DNS, another connection): the connection's task sends them in order.
    typealias InboundOut = SIPEdge.Delivery
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The user event that starts the handler: the connection is registered and its
    /// messages come from `source`.
    struct Start: Sendable {
        let source: SIPSource
    }

    /// How many framed events are held before the connection's task registers it (a
    /// matter of microseconds, more under load) before reading pauses until it has.
    static let maximumHeldEvents = 64

    private let edge: SIPEdge
    private var source: SIPSource?
    /// Events framed before ``Start``, oldest first.
    private var held: [SIPStreamEvent] = []
    /// Whether a read was held back while events waited for ``Start``.
    private var readPaused = false
    private var isClosing = false
    private var needsFlush = false

    init(edge: SIPEdge) {
        self.edge = edge
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let start = event as? Start else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        source = start.source
        let events = held
        held = []
        for event in events where !isClosing {
            decide(event, from: start.source, context: context)
        }
        // As after a read burst: flush the answers, and let the task see the deliveries
        // (the async channel passes reads on at read-complete).
        flushIfNeeded(context: context)
        context.fireChannelReadComplete()
        if readPaused {
            readPaused = false
            context.read()
        }
    }

    func read(context: ChannelHandlerContext) {
        guard source != nil || held.count < Self.maximumHeldEvents else {
            readPaused = true
            return
        }
        context.read()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !isClosing else { return }  // nothing more is decided on a closing connection
        let event = unwrapInboundIn(data)
        guard let source else {
            held.append(event)
            return
        }
        decide(event, from: source, context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded(context: context)
        context.fireChannelReadComplete()
    }

    /// Decides one framed event from `source`: answers, hands on, or closes.
    private func decide(_ event: SIPStreamEvent, from source: SIPSource, context: ChannelHandlerContext) {
        switch event {
        case .ping:
            edge.metrics.keepAlive(.tcp)
            context.write(wrapOutboundOut(ByteBuffer(string: "\r\n")), promise: nil)
            needsFlush = true
        case .message(let message):
            let (screened, delivery) = edge.admit(Array(message.readableBytesView), from: source, oversized: false)
            if let delivery { send(delivery, from: source, context: context) }
            if screened.bansSource { close(context: context, because: "banned") }
        case .oversized(let headerPrefix):
            let (_, delivery) = edge.admit(Array(headerPrefix.readableBytesView), from: source, oversized: true)
            if let delivery { send(delivery, from: source, context: context) }
            close(context: context, because: "too_large")
        case .unframable(let headers):
            let (_, delivery) = edge.admit(Array(headers.readableBytesView), from: source, oversized: false)
            if let delivery { send(delivery, from: source, context: context) }
            close(context: context, because: "unframable")
        case .started:
            break  // consumed by StreamDeadlineHandler
        }
    }

    private func flushIfNeeded(context: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            context.flush()
        }
    }

    /// Writes `delivery` now when it answers on this connection, else hands it to the
    /// connection's task.
    private func send(_ delivery: SIPEdge.Delivery, from source: SIPSource, context: ChannelHandlerContext) {
        guard case .connection(let id) = delivery.outbound.destination, id == source.connection else {
            context.fireChannelRead(wrapInboundOut(delivery))
            return
        }
        context.write(wrapOutboundOut(ByteBuffer(bytes: delivery.outbound.bytes)), promise: nil)
        needsFlush = true
    }

    /// Flushes what was written and closes the connection, counting why.
    private func close(context: ChannelHandlerContext, because reason: String) {
        edge.metrics.connectionClosed(because: reason)
        isClosing = true
        needsFlush = false
        context.flush()
        context.close(promise: nil)
    }
}
