/// Why a text is not an IP address, a prefix, or a prefix length — and where.
///
/// Operators type addresses into the API and into policy files; the error names what
/// was wrong and the character position (0-based) where it was found, so the message
/// can be shown to them as is.
public enum IPAddressParseError: Error, Hashable, Sendable {
    /// The text is empty.
    case empty
    /// A character that cannot appear in an address at this position.
    case unexpectedCharacter(Character, position: Int)
    /// An IPv4 part is missing, empty or out of 0…255.
    case invalidIPv4Octet(String, position: Int)
    /// An IPv4 part has a leading zero, which some systems read as octal.
    case leadingZeroInIPv4Octet(String, position: Int)
    /// An IPv4 address without exactly four parts.
    case wrongNumberOfIPv4Octets(Int)
    /// An IPv6 group with more than four hexadecimal digits.
    case ipv6GroupTooLong(String, position: Int)
    /// An IPv6 address with too many or too few groups.
    case wrongNumberOfIPv6Groups(Int)
    /// `::` appears more than once.
    case multipleDoubleColons(position: Int)
    /// An IPv6 zone (`%eth0`) — meaningless for access control.
    case zoneNotAllowed(position: Int)
    /// A prefix length that is not a number, or larger than the family allows.
    case invalidPrefixLength(String, maximum: Int)
}

extension IPAddressParseError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .empty:
            "empty address"
        case .unexpectedCharacter(let character, let position):
            "unexpected character \(String(reflecting: String(character))) at position \(position)"
        case .invalidIPv4Octet(let octet, let position):
            "IPv4 part \(String(reflecting: octet)) at position \(position) is not a number from 0 to 255"
        case .leadingZeroInIPv4Octet(let octet, let position):
            "IPv4 part \(String(reflecting: octet)) at position \(position) has a leading zero"
        case .wrongNumberOfIPv4Octets(let count):
            "an IPv4 address has 4 parts, not \(count)"
        case .ipv6GroupTooLong(let group, let position):
            "IPv6 group \(String(reflecting: group)) at position \(position) has more than 4 hex digits"
        case .wrongNumberOfIPv6Groups(let count):
            "an IPv6 address has 8 groups (fewer only with '::'), not \(count)"
        case .multipleDoubleColons(let position):
            "second '::' at position \(position); an IPv6 address may contain only one"
        case .zoneNotAllowed(let position):
            "IPv6 zone index at position \(position) is not allowed"
        case .invalidPrefixLength(let text, let maximum):
            "prefix length \(String(reflecting: text)) is not a number from 0 to \(maximum)"
        }
    }
}
