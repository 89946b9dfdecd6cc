import NIOCore

/// Why an accepted stream was closed for being too slow.
enum StreamExpiry: String, Sendable {
    /// No complete message within `sip.tcp_first_message_timeout` of the accept.
    case firstMessage = "first_message_timeout"
    /// A message begun and not completed within `sip.tcp_message_timeout`.
    case message = "message_timeout"
}

/// Closes a SIP stream whose sender is too slow to be a SIP client: one that sends no
/// complete message within `firstMessage` of being accepted, or that begins a message
/// and does not finish it within `message` (a slowloris). Sits after
/// ``SIPStreamDecoder``, whose ``SIPStreamEvent/started`` events it consumes.
final class StreamDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = SIPStreamEvent
    typealias InboundOut = SIPStreamEvent

    private let firstMessage: TimeAmount?
    private let message: TimeAmount
    private let onExpiry: @Sendable (StreamExpiry, SocketAddress?) -> Void
    private var firstDeadline: Scheduled<Void>?
    private var messageDeadline: Scheduled<Void>?

    /// - Parameters:
    ///   - firstMessage: the first-message deadline; `nil` for connections sipfence
    ///     opened itself (it speaks first on those).
    ///   - message: the deadline of each message once its first byte arrived.
    ///   - onExpiry: told before the connection is closed, for metrics and logs.
    init(firstMessage: TimeAmount?, message: TimeAmount, onExpiry: @escaping @Sendable (StreamExpiry, SocketAddress?) -> Void) {
        self.firstMessage = firstMessage
        self.message = message
        self.onExpiry = onExpiry
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startFirstDeadline(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        startFirstDeadline(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelAll()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelAll()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let event = unwrapInboundIn(data)
        switch event {
        case .started:
            if messageDeadline == nil { messageDeadline = schedule(.message, after: message, context: context) }
            return
        case .message:
            firstDeadline?.cancel()
            firstDeadline = nil
            messageDeadline?.cancel()
            messageDeadline = nil
        case .ping:
            messageDeadline?.cancel()
            messageDeadline = nil
        case .oversized, .unframable:
            break
        }
        context.fireChannelRead(data)
    }

    private func startFirstDeadline(context: ChannelHandlerContext) {
        guard let firstMessage, firstDeadline == nil else { return }
        firstDeadline = schedule(.firstMessage, after: firstMessage, context: context)
    }

    private func schedule(_ expiry: StreamExpiry, after delay: TimeAmount, context: ChannelHandlerContext) -> Scheduled<Void> {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let onExpiry = self.onExpiry
        return context.eventLoop.scheduleTask(in: delay) {
            let context = loopBound.value
            onExpiry(expiry, context.channel.remoteAddress)
            context.close(promise: nil)
        }
    }

    private func cancelAll() {
        firstDeadline?.cancel()
        messageDeadline?.cancel()
        firstDeadline = nil
        messageDeadline = nil
    }
}
