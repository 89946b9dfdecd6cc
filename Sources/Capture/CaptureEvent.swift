/// What a capture says at the transport level, in the order of the capture.
///
/// UDP datagrams arrive whole (IP fragments already reassembled). TCP arrives as the
/// in-order bytes of one direction of a connection, retransmissions removed: the caller
/// frames messages itself, keeping one buffer per (source, destination) pair, and drops
/// that buffer on ``streamEnded(_:source:destination:)``.
public enum CaptureEvent: Hashable, Sendable {
    /// A UDP datagram's payload.
    case datagram(CaptureTimestamp, source: CaptureEndpoint, destination: CaptureEndpoint, payload: [UInt8])
    /// The next in-order bytes that `source` sent to `destination` over TCP. Each byte of
    /// the stream is delivered once, however often the capture holds it.
    case stream(CaptureTimestamp, source: CaptureEndpoint, destination: CaptureEndpoint, bytes: [UInt8])
    /// The byte stream from `source` to `destination` ended: a FIN was reached, either end
    /// sent a RST, the same ports began a new connection, or the capture lost bytes that
    /// never arrived (a gap). Any unframed bytes the caller holds for this direction will
    /// never be completed; bytes that follow for the same pair start a new stream.
    case streamEnded(CaptureTimestamp, source: CaptureEndpoint, destination: CaptureEndpoint)

    /// When the packet that completed this event was captured.
    public var timestamp: CaptureTimestamp {
        switch self {
        case .datagram(let timestamp, _, _, _), .stream(let timestamp, _, _, _), .streamEnded(let timestamp, _, _):
            timestamp
        }
    }

    /// The sender.
    public var source: CaptureEndpoint {
        switch self {
        case .datagram(_, let source, _, _), .stream(_, let source, _, _), .streamEnded(_, let source, _):
            source
        }
    }

    /// The receiver.
    public var destination: CaptureEndpoint {
        switch self {
        case .datagram(_, _, let destination, _), .stream(_, _, let destination, _),
            .streamEnded(_, _, let destination):
            destination
        }
    }

    /// UDP for datagrams, TCP for stream events.
    public var transport: CaptureTransport {
        switch self {
        case .datagram: .udp
        case .stream, .streamEnded: .tcp
        }
    }
}
