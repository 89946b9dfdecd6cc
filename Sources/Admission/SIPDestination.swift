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
