/// The transport protocol that carried a ``CaptureEvent``.
public enum CaptureTransport: Hashable, Sendable {
    /// UDP: every datagram is one message (or one keep-alive).
    case udp
    /// TCP: an ordered byte stream per direction that the caller frames into messages.
    case tcp
}

extension CaptureTransport: CustomStringConvertible {
    /// `udp` or `tcp`, as sipfence prints transports elsewhere.
    public var description: String {
        switch self {
        case .udp: "udp"
        case .tcp: "tcp"
        }
    }
}
