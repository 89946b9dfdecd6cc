public import AccessControl
public import SIPCore

/// Identifies one accepted stream (TCP) connection, so that responses can go back over
/// the connection the request came in on.
public struct SIPConnectionID: Hashable, Sendable, CustomStringConvertible {
    /// The identifier's value; the transport layer hands them out.
    public let rawValue: UInt64

    /// An identifier with the given value.
    public init(_ rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public var description: String { String(rawValue, radix: 16) }
}

/// Where a message came from: the socket's peer, never anything written in the message.
public struct SIPSource: Hashable, Sendable {
    /// The transport it arrived on.
    public var transport: SIPTransport
    /// The peer's address, as the socket reports it.
    public var address: IPAddress
    /// The peer's port.
    public var port: Int
    /// The connection it arrived on (stream transports) or the socket it arrived on
    /// (UDP), when the transport layer tracks them.
    public var connection: SIPConnectionID?
    /// The sipfence socket it arrived on — the listener's bound endpoint — when known:
    /// it says which side of sipfence the message came from, and is the local end of the
    /// flow a dialog token records.
    public var interface: SIPEndpoint?

    /// A source from its parts.
    public init(
        transport: SIPTransport, address: IPAddress, port: Int, connection: SIPConnectionID? = nil,
        interface: SIPEndpoint? = nil
    ) {
        self.transport = transport
        self.address = address
        self.port = port
        self.connection = connection
        self.interface = interface
    }
}

extension SIPSource: CustomStringConvertible {
    public var description: String {
        let host = address.family == .ipv6 ? "[\(address)]" : address.description
        return "\(transport.rawValue.lowercased()):\(host):\(port)"
    }
}
