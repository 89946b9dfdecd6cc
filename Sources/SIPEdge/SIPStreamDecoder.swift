import NIOCore
import SIPCore

/// What a SIP byte stream delivers, one event at a time.
enum SIPStreamEvent: Sendable {
    /// One complete message.
    case message(ByteBuffer)
    /// An RFC 5626 keep-alive ping; answer with a CRLF pong.
    case ping
    /// A message over the size limit: the complete header lines at its front. The
    /// stream cannot continue.
    case oversized(ByteBuffer)
    /// A header block whose Content-Length cannot frame the stream. The stream cannot
    /// continue.
    case unframable(ByteBuffer)
    /// The first bytes of a message arrived and it is not complete yet: its deadline
    /// (`sip.tcp_message_timeout`) starts. Consumed by ``StreamDeadlineHandler``.
    case started
}

/// Cuts a TCP stream into SIP messages with ``SIPStreamFraming``. After an oversized or
/// unframable message it discards everything: the connection is about to be closed.
struct SIPStreamDecoder: ByteToMessageDecoder {
    typealias InboundOut = SIPStreamEvent

    let maximumMessageSize: Int
    let maximumHeaderSize: Int
    private var broken = false
    /// Whether the incomplete message at the front of the buffer was announced.
    private var announced = false

    init(maximumMessageSize: Int, maximumHeaderSize: Int) {
        self.maximumMessageSize = maximumMessageSize
        self.maximumHeaderSize = maximumHeaderSize
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard !broken else {
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            return .needMoreData
        }
        let frame = buffer.withUnsafeReadableBytes {
            SIPStreamFraming.frame($0, maximumMessageSize: maximumMessageSize, maximumHeaderSize: maximumHeaderSize)
        }
        switch frame {
        case .needMoreData:
            // Line breaks alone may still become a keep-alive or padding: no message yet.
            if !announced && buffer.readableBytesView.contains(where: { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }) {
                announced = true
                context.fireChannelRead(wrapInboundOut(.started))
            }
            return .needMoreData
        case .padding(let length):
            buffer.moveReaderIndex(forwardBy: length)
            announced = false
            return .continue
        case .ping(let length):
            buffer.moveReaderIndex(forwardBy: length)
            announced = false
            context.fireChannelRead(wrapInboundOut(.ping))
            return .continue
        case .message(let length):
            guard let message = buffer.readSlice(length: length) else { return .needMoreData }
            announced = false
            context.fireChannelRead(wrapInboundOut(.message(message)))
            return .continue
        case .tooLarge(let headerPrefix):
            broken = true
            let prefix = buffer.readSlice(length: headerPrefix) ?? ByteBuffer()
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            context.fireChannelRead(wrapInboundOut(.oversized(prefix)))
            return .needMoreData
        case .unframable(let headerLength):
            broken = true
            let headers = buffer.readSlice(length: headerLength) ?? ByteBuffer()
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            context.fireChannelRead(wrapInboundOut(.unframable(headers)))
            return .needMoreData
        }
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A partial message at the end of the stream is lost with the connection.
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        return .needMoreData
    }
}

/// Closes a connection that has been silent for longer than its idle timeout.
final class IdleConnectionCloser: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
