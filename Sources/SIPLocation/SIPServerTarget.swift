public import AccessControl
public import SIPCore

/// One place to send a request: a transport, an IP address and a port — one entry of the
/// ordered list RFC 3263 §4 produces for a SIP URI's host.
///
/// sipfence sends a request to the first target that accepts it and moves down the list
/// when one fails (RFC 3263 §4.3).
public struct SIPServerTarget: Hashable, Sendable {
    /// The transport to use for this target.
    public var transport: SIPTransport
    /// The server's address.
    public var address: IPAddress
    /// The server's port, 1…65535.
    public var port: Int

    /// A target from its parts.
    public init(transport: SIPTransport, address: IPAddress, port: Int) {
        self.transport = transport
        self.address = address
        self.port = port
    }
}

extension SIPServerTarget: CustomStringConvertible {
    /// `udp:192.0.2.1:5060` or `tcp:[2001:db8::1]:5060`, as configuration writes endpoints.
    public var description: String {
        let host = address.family == .ipv6 ? "[\(address)]" : "\(address)"
        return "\(transport.rawValue.lowercased()):\(host):\(port)"
    }
}
