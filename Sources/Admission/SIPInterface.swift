public import AccessControl
public import SIPCore

/// A socket sipfence listens on, as the admission pipeline sees it: its bound endpoint,
/// the host it writes in Via, Record-Route and Path for it, and which side of sipfence
/// it faces.
///
/// Deployed in front of a private proxy, sipfence has two sides: the callers' side
/// (`sip.listen`) and the upstream's side (`sip.upstream_listen`). A request is forwarded
/// from a socket of the side it goes to, with that socket's address in its Via, and a
/// dialog-creating request gets one Record-Route value per socket it crosses (RFC 5658),
/// so each side sees an address it can reach.
public struct SIPInterface: Hashable, Sendable {
    /// Which side of sipfence a socket faces.
    public enum Side: String, Hashable, Sendable {
        /// Callers (`sip.listen` when `sip.upstream_listen` is set).
        case callers
        /// The upstream proxy (`sip.upstream_listen`).
        case upstream
        /// Both: the sockets of `sip.listen` when no `sip.upstream_listen` is set.
        case both

        /// Whether callers are served on a socket of this side.
        public var facesCallers: Bool { self != .upstream }
        /// Whether the upstream is reached on a socket of this side.
        public var facesUpstream: Bool { self != .callers }
    }

    /// The socket's transport, bound address and port (a wildcard address for a
    /// wildcard listener).
    public var endpoint: SIPEndpoint
    /// The host written in Via, Record-Route and Path for this socket: an IP address
    /// (IPv6 without brackets; never IPv4-mapped) or a host name (`sip.advertised_host`).
    public var advertisedHost: String
    /// The side the socket faces.
    public var side: Side

    /// An interface from its parts.
    public init(endpoint: SIPEndpoint, advertisedHost: String, side: Side) {
        self.endpoint = endpoint
        self.advertisedHost = advertisedHost
        self.side = side
    }

    /// The transport.
    public var transport: SIPTransport { endpoint.transport }
    /// The port.
    public var port: Int { endpoint.port }

    /// Whether the socket can send to an address of `family` (see ``SIPEndpoint/reaches(_:)``).
    public func reaches(_ family: IPAddress.Family) -> Bool {
        endpoint.reaches(family)
    }

    /// The host as written in a URI or Via: IPv6 in brackets.
    public var hostText: String {
        advertisedHost.utf8.contains(UInt8(ascii: ":")) ? "[\(advertisedHost)]" : advertisedHost
    }
}
