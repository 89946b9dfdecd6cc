/// A SIP transport protocol, as named in a Via header (`SIP/2.0/UDP`) or a
/// `;transport=` URI parameter.
public enum SIPTransport: String, Hashable, Sendable, CaseIterable {
    /// UDP (RFC 3261).
    case udp = "UDP"
    /// TCP (RFC 3261).
    case tcp = "TCP"
    /// TLS over TCP (RFC 3261).
    case tls = "TLS"
    /// SCTP (RFC 4168).
    case sctp = "SCTP"
    /// WebSocket (RFC 7118).
    case ws = "WS"
    /// Secure WebSocket (RFC 7118).
    case wss = "WSS"

    /// The transport named `text`, compared case-insensitively.
    public init?(named text: some StringProtocol) {
        self.init(rawValue: text.uppercased())
    }

    /// Whether the transport delivers a byte stream (so Content-Length frames messages).
    public var isStream: Bool { self != .udp }

    /// The port a SIP URI or Via without a port means for this transport.
    public var defaultPort: Int {
        switch self {
        case .tls, .wss: 5061
        default: 5060
        }
    }
}
