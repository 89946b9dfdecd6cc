/// A SIP domain name, normalised for comparison.
///
/// Host names compare case-insensitively, and `example.com.` (fully qualified, with the
/// root's trailing dot) names the same domain as `example.com`; the normalised form is
/// lower case without the trailing dot. The policy store, the API and the SIP path all
/// key domains by this one form, so they agree on which domain an INVITE is for.
public struct DomainName: Hashable, Sendable, Comparable {
    /// The normalised name: ASCII lower case, no trailing dot.
    public let normalized: String

    /// Normalises `text` without judging it; any Request-URI host can be looked up.
    public init(normalizing text: some StringProtocol) {
        // Most names arrive normalised already (every INVITE's Request-URI host is looked
        // up): keep the text as it is, without copying it twice.
        let text = String(text)
        if text.utf8.count <= 1 || text.utf8.last != UInt8(ascii: "."),
            !text.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") })
        {
            self.normalized = text
            return
        }
        var bytes = Array(text.utf8)
        if bytes.count > 1, bytes.last == UInt8(ascii: ".") { bytes.removeLast() }
        for index in bytes.indices where bytes[index] >= UInt8(ascii: "A") && bytes[index] <= UInt8(ascii: "Z") {
            bytes[index] |= 0x20
        }
        self.normalized = String(decoding: bytes, as: UTF8.self)
    }

    /// A name that must be a valid host name (RFC 1123): dot-separated labels of 1…63
    /// letters, digits and hyphens, not starting or ending with a hyphen, 253 characters
    /// at most. This is what the management API accepts as a `DomainName`.
    public init(validating text: some StringProtocol) throws(DomainNameError) {
        let name = DomainName(normalizing: text)
        let bytes = Array(name.normalized.utf8)
        guard !bytes.isEmpty else { throw .empty }
        guard bytes.count <= 253 else { throw .tooLong(bytes.count) }
        var labelStart = 0
        for label in bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            let text = String(decoding: label, as: UTF8.self)
            guard !label.isEmpty else { throw .emptyLabel(position: labelStart) }
            guard label.count <= 63 else { throw .labelTooLong(text) }
            if let bad = label.first(where: { !($0.isASCIILetterOrDigit || $0 == UInt8(ascii: "-")) }) {
                throw .invalidCharacter(Character(Unicode.Scalar(bad)), label: text)
            }
            guard label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-") else {
                throw .hyphenAtLabelEdge(text)
            }
            labelStart += label.count + 1
        }
        self = name
    }

    public static func < (lhs: DomainName, rhs: DomainName) -> Bool {
        lhs.normalized < rhs.normalized
    }
}

extension DomainName: CustomStringConvertible {
    public var description: String { normalized }
}

/// Why a text is not a valid host name for a SIP domain.
public enum DomainNameError: Error, Hashable, Sendable {
    /// Nothing but (at most) a dot.
    case empty
    /// Longer than 253 characters.
    case tooLong(Int)
    /// Two dots in a row, or a leading dot; `position` is where the empty label starts.
    case emptyLabel(position: Int)
    /// A label longer than 63 characters.
    case labelTooLong(String)
    /// A character other than a letter, digit or hyphen.
    case invalidCharacter(Character, label: String)
    /// A label that starts or ends with a hyphen.
    case hyphenAtLabelEdge(String)
}

extension DomainNameError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .empty:
            "the domain name is empty"
        case .tooLong(let count):
            "the domain name has \(count) characters; at most 253 are allowed"
        case .emptyLabel(let position):
            "the domain name has an empty label at position \(position)"
        case .labelTooLong(let label):
            "the label \(String(reflecting: label)) is longer than 63 characters"
        case .invalidCharacter(let character, let label):
            "the label \(String(reflecting: label)) contains \(String(reflecting: String(character))); only letters, digits and '-' are allowed"
        case .hyphenAtLabelEdge(let label):
            "the label \(String(reflecting: label)) starts or ends with '-'"
        }
    }
}

extension UInt8 {
    var isASCIILetterOrDigit: Bool {
        isDecimalDigit(self) || (self | 0x20 >= UInt8(ascii: "a") && self | 0x20 <= UInt8(ascii: "z"))
    }
}
