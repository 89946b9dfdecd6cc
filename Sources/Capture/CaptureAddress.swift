/// The IPv4 or IPv6 address of a packet in a capture, as a value.
///
/// The address is kept as the integer the network means rather than as bytes or text, so
/// that decoding a packet allocates nothing for its addresses and two events from the same
/// host compare equal cheaply. ``bytes`` gives the network-order bytes when a caller needs
/// them (for instance to build its own address type).
public struct CaptureAddress: Hashable, Sendable {
    /// The address family of a ``CaptureAddress``.
    public enum Family: Hashable, Sendable {
        /// IPv4: 4 bytes.
        case ipv4
        /// IPv6: 16 bytes.
        case ipv6
    }

    @usableFromInline
    enum Storage: Hashable, Sendable {
        case v4(UInt32)
        case v6(UInt128)
    }

    @usableFromInline
    let storage: Storage

    /// An IPv4 address from its 32-bit value in host byte order (`0x7F000001` is 127.0.0.1).
    @inlinable
    public init(ipv4 value: UInt32) {
        self.storage = .v4(value)
    }

    /// An IPv6 address from its 128-bit value in host byte order (`1` is `::1`).
    @inlinable
    public init(ipv6 value: UInt128) {
        self.storage = .v6(value)
    }

    /// An address from its network-order bytes: 4 for IPv4, 16 for IPv6; `nil` for any
    /// other count.
    public init?(bytes: some Collection<UInt8>) {
        switch bytes.count {
        case 4:
            self.init(ipv4: bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        case 16:
            self.init(ipv6: bytes.reduce(UInt128(0)) { $0 << 8 | UInt128($1) })
        default:
            return nil
        }
    }

    /// Whether this is an IPv4 or an IPv6 address.
    @inlinable
    public var family: Family {
        switch storage {
        case .v4: .ipv4
        case .v6: .ipv6
        }
    }

    /// The 32-bit value of an IPv4 address in host byte order; `nil` for IPv6.
    @inlinable
    public var ipv4Value: UInt32? {
        if case .v4(let value) = storage { return value }
        return nil
    }

    /// The 128-bit value of an IPv6 address in host byte order; `nil` for IPv4.
    @inlinable
    public var ipv6Value: UInt128? {
        if case .v6(let value) = storage { return value }
        return nil
    }

    /// The address in network byte order: 4 bytes for IPv4, 16 for IPv6.
    public var bytes: [UInt8] {
        switch storage {
        case .v4(let value):
            return (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) }
        case .v6(let value):
            return (0..<16).map { UInt8(truncatingIfNeeded: value >> (120 - 8 * $0)) }
        }
    }
}

extension CaptureAddress: CustomStringConvertible {
    /// Dotted decimal for IPv4; the RFC 5952 canonical text for IPv6 (lower case, the
    /// longest run of two or more zero groups shortened to `::`, IPv4-mapped addresses
    /// as `::ffff:a.b.c.d`).
    public var description: String {
        switch storage {
        case .v4(let value):
            return Self.dottedDecimal(value)
        case .v6(let value):
            if value >> 32 == 0xFFFF {
                return "::ffff:" + Self.dottedDecimal(UInt32(truncatingIfNeeded: value))
            }
            return Self.ipv6Text(value)
        }
    }

    private static func dottedDecimal(_ value: UInt32) -> String {
        (0..<4).map { String((value >> (24 - 8 * $0)) & 0xFF) }.joined(separator: ".")
    }

    private static func ipv6Text(_ value: UInt128) -> String {
        let groups = (0..<8).map { UInt16(truncatingIfNeeded: value >> (112 - 16 * $0)) }
        // The first longest run of at least two zero groups becomes "::" (RFC 5952 §4.2).
        var bestStart = -1
        var bestLength = 1
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            let start = index
            while index < 8, groups[index] == 0 { index += 1 }
            if index - start > bestLength {
                bestStart = start
                bestLength = index - start
            }
        }
        func hex(_ range: Range<Int>) -> String {
            groups[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        guard bestStart >= 0 else { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }
}
