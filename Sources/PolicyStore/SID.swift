#if canImport(Glibc)
import Glibc
#endif

/// A Twilio-style string identifier: a two-letter prefix naming the kind of record
/// followed by 32 lowercase hexadecimal digits, such as `SD0123456789abcdef0123456789abcdef`.
///
/// SIDs are what clients hold on to, so they are unguessable: new ones draw 128 bits from
/// the system's cryptographic random source. The prefix is part of the value, so a domain's
/// SID can never be mistaken for a list's.
public struct SID: Hashable, Sendable, Comparable {
    /// What a SID identifies, by its two-letter prefix.
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        /// An account (`AC…`): the owner of every other record.
        case account = "AC"
        /// A SIP domain (`SD…`).
        case domain = "SD"
        /// An IP access control list (`AL…`).
        case ipAccessControlList = "AL"
        /// An IP address entry of a list (`IP…`).
        case ipAddress = "IP"
        /// An API key (`SK…`): HTTP Basic credentials that act for one account.
        case apiKey = "SK"
        /// A credential list (`CL…`): usernames with their digest hashes.
        case credentialList = "CL"
        /// A credential of a credential list (`CR…`).
        case credential = "CR"
    }

    /// The SID as text: prefix and 32 lowercase hexadecimal digits.
    public let rawValue: String

    /// The kind of record the SID identifies: what its prefix names.
    public let kind: Kind

    /// Parses `text` as a SID of `kind`, or returns `nil` when it is not one.
    ///
    /// Hexadecimal digits may be upper or lower case (Twilio's pattern allows both); they
    /// are kept in lower case, the form the store issues, so both spellings find the record.
    public init?(_ text: some StringProtocol, kind: Kind) {
        let bytes = Array(text.utf8)
        guard bytes.count == 34, bytes.starts(with: kind.rawValue.utf8) else { return nil }
        var normalized = Array(kind.rawValue.utf8)
        normalized.reserveCapacity(34)
        for byte in bytes[2...] {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"):
                normalized.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "F"):
                normalized.append(byte | 0x20)
            default:
                return nil
            }
        }
        self.rawValue = String(decoding: normalized, as: UTF8.self)
        self.kind = kind
    }

    /// Parses `text` as a SID of any kind, or returns `nil` when it is not one.
    public init?(_ text: some StringProtocol) {
        guard let kind = Kind(rawValue: String(text.prefix(2))) else { return nil }
        self.init(text, kind: kind)
    }

    /// A new SID of `kind` made from 128 bits of `generator`.
    public static func random(_ kind: Kind, using generator: inout some RandomNumberGenerator) -> SID {
        let high: UInt64 = generator.next()
        let low: UInt64 = generator.next()
        return SID(kind: kind, value: UInt128(high) << 64 | UInt128(low))
    }

    /// A new SID of `kind` from the system's cryptographic random source (`getrandom(2)` on
    /// Linux).
    public static func random(_ kind: Kind) -> SID {
        var generator = SystemRandomNumberGenerator()
        return random(kind, using: &generator)
    }

    /// `count` new SIDs of `kind` from the system's random source, in ascending order:
    /// for inserting many records at the ends of the indexes keyed by SID. The SIDs are
    /// made as they are read; only their 128-bit values are held meanwhile. The random
    /// bits come in bulk from glibc's `arc4random_buf` (ChaCha20 keyed from `getrandom(2)`):
    /// a value at a time was two system calls per SID, a second of a million-address import.
    static func randomAscending(_ kind: Kind, count: Int) -> LazyMapSequence<[UInt128], SID> {
        var values = [UInt128](repeating: 0, count: count)
        values.withUnsafeMutableBytes { bytes in
            if let start = bytes.baseAddress { arc4random_buf(start, bytes.count) }
        }
        values.sort()
        // Fixed-width hex digits sort as the values do.
        return values.lazy.map { value in SID(kind: kind, value: value) }
    }

    /// The SID of `kind` whose digits are `value` in 32 hex digits.
    private init(kind: Kind, value: UInt128) {
        let prefix = kind.rawValue.utf8
        self.rawValue = String(unsafeUninitializedCapacity: prefix.count + 32) { buffer in
            var index = buffer.initialize(fromContentsOf: prefix)
            for shift in stride(from: 124, through: 0, by: -4) {
                buffer[index] = Self.hexDigits[Int(truncatingIfNeeded: value >> UInt128(shift)) & 0xF]
                index += 1
            }
            return index
        }
        self.kind = kind
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Orders by text, which is the order lists are paged in.
    public static func < (lhs: SID, rhs: SID) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

extension SID: CustomStringConvertible {
    /// The SID as text.
    public var description: String { rawValue }
}

extension SID: Codable {
    /// Decodes a SID of any kind from a string.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let sid = SID(text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "\(String(reflecting: text)) is not a SID (two-letter prefix and 32 hex digits)")
        }
        self = sid
    }

    /// Encodes the SID as a string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
