/// The shortest prefixes an access list may hold, per address family: a guard against
/// entries that open a domain to a large part of the Internet by mistake (a `/0`, or a
/// `/4` typed for a `/24`).
///
/// Twilio has no such rule; sipfence refuses shorter entries when they are written
/// (through the API and through policy import alike) and reports shorter entries already
/// stored. A minimum of 0 allows a deliberate catch-all.
public struct PrefixLengthMinimums: Hashable, Sendable, CustomStringConvertible {
    /// The shortest IPv4 prefix allowed, 0…32.
    public let ipv4: Int
    /// The shortest IPv6 prefix allowed, 0…128.
    public let ipv6: Int

    /// sipfence's defaults: `/8` for IPv4 (the largest block ever allocated to one
    /// network) and `/16` for IPv6.
    public static let `default` = PrefixLengthMinimums(uncheckedIPv4: 8, ipv6: 16)

    /// No minimum: every prefix, `/0` included, is allowed.
    public static let none = PrefixLengthMinimums(uncheckedIPv4: 0, ipv6: 0)

    /// Minimums of `ipv4` and `ipv6` bits.
    ///
    /// - Throws: ``IPAddressParseError/invalidPrefixLength(_:maximum:)`` when a minimum is
    ///   negative or longer than its family's addresses.
    public init(ipv4: Int, ipv6: Int) throws(IPAddressParseError) {
        guard (0...32).contains(ipv4) else { throw .invalidPrefixLength(String(ipv4), maximum: 32) }
        guard (0...128).contains(ipv6) else { throw .invalidPrefixLength(String(ipv6), maximum: 128) }
        self.init(uncheckedIPv4: ipv4, ipv6: ipv6)
    }

    private init(uncheckedIPv4 ipv4: Int, ipv6: Int) {
        self.ipv4 = ipv4
        self.ipv6 = ipv6
    }

    /// The minimum for `family`.
    public func minimum(for family: IPAddress.Family) -> Int {
        family == .ipv4 ? ipv4 : ipv6
    }

    /// The minimum `prefix` falls short of, or `nil` when it is long enough.
    ///
    /// The prefix is judged in its ``IPPrefix/canonical`` form, so an IPv4-mapped IPv6
    /// prefix (`::ffff:0.0.0.0/96`) is held to the IPv4 minimum it really describes.
    public func violation(by prefix: IPPrefix) -> Int? {
        let canonical = prefix.canonical
        let minimum = minimum(for: canonical.family)
        return canonical.length < minimum ? minimum : nil
    }

    /// `/8 (IPv4), /16 (IPv6)`.
    public var description: String { "/\(ipv4) (IPv4), /\(ipv6) (IPv6)" }
}
