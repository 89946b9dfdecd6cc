/// An IPv4 or IPv6 address, as a value.
///
/// sipfence compares packet sources against access lists, so an address is kept as the
/// integer the network means, never as text: two spellings of the same IPv6 address are
/// equal, and lookups in a ``PrefixTrie`` need no parsing.
public struct IPAddress: Hashable, Sendable {
    /// The address family of an ``IPAddress``.
    public enum Family: Hashable, Sendable {
        /// IPv4: 32 bits.
        case ipv4
        /// IPv6: 128 bits.
        case ipv6

        /// The number of bits in an address of this family.
        public var bitWidth: Int {
            switch self {
            case .ipv4: 32
            case .ipv6: 128
            }
        }

        /// `IPv4` or `IPv6`, as messages name the family.
        public var name: String {
            switch self {
            case .ipv4: "IPv4"
            case .ipv6: "IPv6"
            }
        }
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

    /// An address from its bytes in network order: 4 bytes for IPv4, 16 for IPv6.
    ///
    /// Returns `nil` for any other length. Socket addresses arrive in this form.
    public init?(networkBytes bytes: some Collection<UInt8>) {
        switch bytes.count {
        case 4:
            self.init(ipv4: bytes.reduce(UInt32(0)) { ($0 << 8) | UInt32($1) })
        case 16:
            self.init(ipv6: bytes.reduce(UInt128(0)) { ($0 << 8) | UInt128($1) })
        default:
            return nil
        }
    }

    /// The address family.
    @inlinable
    public var family: Family {
        switch storage {
        case .v4: .ipv4
        case .v6: .ipv6
        }
    }

    /// The 32-bit value of an IPv4 address, or `nil` for IPv6.
    @inlinable
    public var ipv4Value: UInt32? {
        if case .v4(let value) = storage { return value }
        return nil
    }

    /// The 128-bit value of an IPv6 address, or `nil` for IPv4.
    @inlinable
    public var ipv6Value: UInt128? {
        if case .v6(let value) = storage { return value }
        return nil
    }

    /// The address's bytes in network order (4 or 16 of them).
    public var networkBytes: [UInt8] {
        switch storage {
        case .v4(let value):
            return (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) }
        case .v6(let value):
            return (0..<16).map { UInt8(truncatingIfNeeded: value >> (120 - 8 * $0)) }
        }
    }

    /// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), else `nil`.
    ///
    /// A dual-stack socket reports IPv4 peers in this form; access lists written in IPv4
    /// must still match them.
    @inlinable
    public var unmappedIPv4: IPAddress? {
        guard case .v6(let value) = storage, value >> 32 == 0xFFFF else { return nil }
        return IPAddress(ipv4: UInt32(truncatingIfNeeded: value))
    }

    /// This address as access control sees it: IPv4-mapped IPv6 addresses become IPv4.
    @inlinable
    public var canonical: IPAddress {
        unmappedIPv4 ?? self
    }
}

extension IPAddress: Comparable {
    /// IPv4 addresses order before IPv6 addresses; within a family, by numeric value.
    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs.storage, rhs.storage) {
        case (.v4(let a), .v4(let b)): a < b
        case (.v6(let a), .v6(let b)): a < b
        case (.v4, .v6): true
        case (.v6, .v4): false
        }
    }
}

extension IPAddress: CustomStringConvertible {
    /// The canonical text form: dotted quad for IPv4, RFC 5952 for IPv6 (lower case, the
    /// longest run of two or more zero groups compressed, IPv4-mapped addresses as
    /// `::ffff:a.b.c.d`).
    public var description: String {
        switch storage {
        case .v4(let value):
            return Self.dottedQuad(value)
        case .v6(let value):
            return Self.rfc5952(value)
        }
    }

    static func dottedQuad(_ value: UInt32) -> String {
        // Written digit by digit into one buffer (at most 15 bytes: a small string, no
        // allocation); interpolation built it from seven pieces for every Via stamped.
        String(unsafeUninitializedCapacity: 15) { buffer in
            var index = 0
            for shift in stride(from: 24, through: 0, by: -8) {
                let octet = Int((value >> UInt32(shift)) & 0xFF)
                if octet >= 100 {
                    buffer[index] = UInt8(ascii: "0") + UInt8(octet / 100)
                    index += 1
                }
                if octet >= 10 {
                    buffer[index] = UInt8(ascii: "0") + UInt8(octet / 10 % 10)
                    index += 1
                }
                buffer[index] = UInt8(ascii: "0") + UInt8(octet % 10)
                index += 1
                if shift > 0 {
                    buffer[index] = UInt8(ascii: ".")
                    index += 1
                }
            }
            return index
        }
    }

    static func rfc5952(_ value: UInt128) -> String {
        if value >> 32 == 0xFFFF {
            return "::ffff:" + dottedQuad(UInt32(truncatingIfNeeded: value))
        }
        let groups = (0..<8).map { UInt16(truncatingIfNeeded: value >> (112 - 16 * $0)) }
        // The longest run of zero groups (length >= 2), leftmost on ties.
        var bestStart = -1
        var bestLength = 1
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            var end = index
            while end < 8 && groups[end] == 0 { end += 1 }
            if end - index > bestLength {
                bestStart = index
                bestLength = end - index
            }
            index = end
        }
        func hex(_ range: Range<Int>) -> String {
            range.map { String(groups[$0], radix: 16) }.joined(separator: ":")
        }
        guard bestStart >= 0 else { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }
}
