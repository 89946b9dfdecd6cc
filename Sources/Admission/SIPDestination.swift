public import AccessControl
public import SIPCore

/// Where to send a message the pipeline produced.
public enum SIPDestination: Hashable, Sendable {
    /// The configured upstream proxy, over its configured transport.
    case upstream
    /// An existing stream connection (the one a request arrived on).
    case connection(SIPConnectionID)
    /// A transport, host and port. The host is an IP address (IPv6 without brackets) or,
    /// for requests routed by URI, a host name. `socket` names the UDP socket to send
    /// from when it matters — the one the request arrived on, so that answers come from
    /// the address the client sent to (NAT bindings depend on it).
    case address(SIPTransport, host: String, port: Int, socket: SIPConnectionID? = nil)
    /// A caller's flow, from a dialog token: over the open TCP connection from that peer
    /// to that socket, or from that UDP socket to that address and port. When a TCP
    /// connection is gone, a new one goes to `otherwise` (the URI the request names,
    /// RFC 3261 §18.1.1).
    case flow(SIPFlow, otherwise: SIPNextHop?)
    /// A next hop named by a URI, located per RFC 3263: an IP address directly, a host name
    /// through DNS (SRV, then A/AAAA).
    case nextHop(SIPNextHop)
}

/// A next hop named by a SIP URI (a Route value or the Request-URI): transport, host and
/// port as written, and the address family the Via was written for.
public struct SIPNextHop: Hashable, Sendable {
    /// The transport to use: the URI's `transport` parameter, else UDP (TLS for `sips`).
    public var transport: SIPTransport
    /// An IP address (IPv6 without brackets) or a host name.
    public var host: String
    /// The port, when the URI names one; without it, DNS SRV may pick one.
    public var port: Int?
    /// Only addresses of this family will do: the request's Via names a socket of it.
    public var family: IPAddress.Family

    /// A next hop from its parts.
    public init(transport: SIPTransport, host: String, port: Int?, family: IPAddress.Family) {
        self.transport = transport
        self.host = host
        self.port = port
        self.family = family
    }
}

/// A message to send and where to send it.
public struct SIPOutbound: Hashable, Sendable {
    /// The bytes of the message.
    public var bytes: [UInt8]
    /// Where they go.
    public var destination: SIPDestination

    /// A message for `destination`.
    public init(bytes: [UInt8], destination: SIPDestination) {
        self.bytes = bytes
        self.destination = destination
    }
}
