import AccessControl
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension SocketAddress {
    /// The address as access control sees it, read from the socket address's bytes.
    var ipAddress: IPAddress? {
        switch self {
        case .v4(let address):
            return IPAddress(ipv4: UInt32(bigEndian: address.address.sin_addr.s_addr))
        case .v6(let address):
            return withUnsafeBytes(of: address.address.sin6_addr) { IPAddress(networkBytes: $0) }
        case .unixDomainSocket:
            return nil
        }
    }

    /// A socket address for `address` and `port`.
    init(_ address: IPAddress, port: Int) throws {
        try self.init(ipAddress: address.description, port: port)
    }
}
