public import AccessControl

/// One end of a UDP or TCP conversation in a capture: an address and a port.
public struct CaptureEndpoint: Hashable, Sendable {
    /// The IP address (IPv4-mapped addresses are kept as the IPv6 addresses they are).
    public let address: IPAddress
    /// The UDP or TCP port.
    public let port: UInt16

    /// An endpoint from its address and port.
    @inlinable
    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }
}

extension CaptureEndpoint: CustomStringConvertible {
    /// `192.0.2.1:5060` for IPv4, `[2001:db8::1]:5060` for IPv6.
    public var description: String {
        switch address.family {
        case .ipv4: "\(address):\(port)"
        case .ipv6: "[\(address)]:\(port)"
        }
    }
}
