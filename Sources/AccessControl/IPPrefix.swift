/// A CIDR prefix: a network address and a prefix length, such as `192.0.2.0/24`.
///
/// A prefix is always stored normalised to its network: bits of the address below the
/// prefix length are cleared, so `192.0.2.77/24` and `192.0.2.0/24` are the same prefix.
/// That is what access control means by them (both cover the same 256 addresses), and it
/// is what Twilio's API stores for an `IpAddress` with a `CidrPrefixLength`.
public struct IPPrefix: Hashable, Sendable {
    /// The network address: the prefix's first address, host bits cleared.
    public let network: IPAddress
    /// The number of leading bits that must match (0…32 for IPv4, 0…128 for IPv6).
    public let length: Int

    /// The prefix of `length` bits that contains `address`; host bits are cleared.
    ///
    /// Throws ``IPAddressParseError/invalidPrefixLength(_:maximum:)`` when `length` is
    /// negative or longer than the family's address.
    public init(address: IPAddress, length: Int) throws(IPAddressParseError) {
        let maximum = address.family.bitWidth
        guard (0...maximum).contains(length) else {
            throw .invalidPrefixLength(String(length), maximum: maximum)
        }
        switch address.storage {
        case .v4(let value):
            self.network = IPAddress(ipv4: value & Self.mask(length, of: UInt32.self))
        case .v6(let value):
            self.network = IPAddress(ipv6: value & Self.mask(length, of: UInt128.self))
        }
        self.length = length
    }

    /// The prefix that covers exactly one address.
    public init(host address: IPAddress) {
        self.network = address
        self.length = address.family.bitWidth
    }

    /// Parses `address/length`, or a bare address (a prefix of the full length).
    ///
    /// Host bits set under the length are cleared (see the type's documentation).
    public init(_ text: some StringProtocol) throws(IPAddressParseError) {
        // On the text's bytes: a policy import parses a million of these.
        let bytes = Array(text.utf8)
        guard let slash = bytes.firstIndex(of: UInt8(ascii: "/")) else {
            self.init(host: try IPAddress(utf8: bytes[...]))
            return
        }
        let address = try IPAddress(utf8: bytes[..<slash])
        let lengthDigits = bytes[(slash + 1)...]
        let maximum = address.family.bitWidth
        guard !lengthDigits.isEmpty, lengthDigits.count <= 3, lengthDigits.allSatisfy(isDecimalDigit),
            case let length = lengthDigits.reduce(0, { $0 * 10 + Int($1 - UInt8(ascii: "0")) }), length <= maximum
        else {
            throw .invalidPrefixLength(String(decoding: lengthDigits, as: UTF8.self), maximum: maximum)
        }
        try self.init(address: address, length: length)
    }

    /// The address family.
    public var family: IPAddress.Family { network.family }

    /// This prefix as access control sees it: an IPv6 prefix of 96 bits or more inside
    /// `::ffff:0:0/96` (IPv4-mapped addresses) becomes the IPv4 prefix it describes.
    public var canonical: IPPrefix {
        guard length >= 96, let mapped = network.unmappedIPv4, let prefix = try? IPPrefix(address: mapped, length: length - 96)
        else { return self }
        return prefix
    }

    /// Whether `address` lies inside this prefix.
    ///
    /// Both are compared in their ``canonical`` forms, so IPv4-mapped IPv6 addresses
    /// match IPv4 prefixes.
    public func contains(_ address: IPAddress) -> Bool {
        let prefix = canonical
        switch (prefix.network.storage, address.canonical.storage) {
        case (.v4(let net), .v4(let value)):
            return value & Self.mask(prefix.length, of: UInt32.self) == net
        case (.v6(let net), .v6(let value)):
            return value & Self.mask(prefix.length, of: UInt128.self) == net
        default:
            return false
        }
    }

    /// Whether `other` lies entirely inside this prefix.
    public func contains(_ other: IPPrefix) -> Bool {
        let outer = canonical
        let inner = other.canonical
        return inner.family == outer.family && inner.length >= outer.length && outer.contains(inner.network)
    }

    /// The mask with the top `length` bits set.
    @inlinable
    static func mask<Key: FixedWidthInteger & UnsignedInteger>(_ length: Int, of: Key.Type) -> Key {
        length == 0 ? 0 : ~Key(0) << (Key.bitWidth - length)
    }
}

extension IPPrefix: CustomStringConvertible {
    /// `network/length`, with the network in canonical form.
    public var description: String { "\(network)/\(length)" }
}

extension IPPrefix: Comparable {
    /// By network, then shorter prefixes first.
    public static func < (lhs: IPPrefix, rhs: IPPrefix) -> Bool {
        (lhs.network, lhs.length) < (rhs.network, rhs.length)
    }
}
