public import AccessControl
public import SIPCore

/// A flow between sipfence and a peer on the callers' side: the transport, the sipfence
/// socket (its bound address and port) and the peer's address and port, as the socket
/// reported them.
///
/// A flow is what a dialog token carries, so that requests coming back from the upstream
/// reach the peer the way it reached sipfence — over the same TCP connection, or from the
/// same UDP socket to the same address and port, which keeps NAT bindings working
/// (RFC 3261 §18.2.2, RFC 5626 §3.3) — and so that an in-dialog request from the peer can be
/// tied to the call it belongs to. It names real addresses, never a per-process number,
/// so a restarted node or another node sharing the secret reads it the same way.
public struct SIPFlow: Hashable, Sendable {
    /// The transport (UDP or TCP).
    public var transport: SIPTransport
    /// sipfence's socket: the listener's bound address and port.
    public var local: SIPEndpoint
    /// The peer's address.
    public var remoteAddress: IPAddress
    /// The peer's port.
    public var remotePort: Int

    /// A flow from its parts. IPv4-mapped IPv6 addresses are kept as IPv4.
    public init(transport: SIPTransport, local: SIPEndpoint, remoteAddress: IPAddress, remotePort: Int) {
        self.transport = transport
        self.local = SIPEndpoint(transport: local.transport, address: local.address.canonical, port: local.port)
        self.remoteAddress = remoteAddress.canonical
        self.remotePort = remotePort
    }
}

extension SIPFlow: CustomStringConvertible {
    /// `udp 192.0.2.1:5060 <-> 198.51.100.7:41000`.
    public var description: String {
        let remote = remoteAddress.family == .ipv6 ? "[\(remoteAddress)]" : remoteAddress.description
        return "\(transport.rawValue.lowercased()) \(local.hostText):\(local.port) <-> \(remote):\(remotePort)"
    }
}
