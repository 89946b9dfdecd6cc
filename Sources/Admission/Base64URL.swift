/// base64url without padding (RFC 4648 §5): the encoding of ``DigestNonce``, whose
/// alphabet (`A`–`Z`, `a`–`z`, `0`–`9`, `-`, `_`) is all SIP token characters, so a
/// nonce needs no escaping in a quoted string.
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// The encoding of `bytes`.
    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index < bytes.count {
            let count = min(3, bytes.count - index)
            var group: UInt32 = 0
            for offset in 0..<3 {
                group = group << 8 | UInt32(offset < count ? bytes[index + offset] : 0)
            }
            for sextet in 0...count {
                out.append(alphabet[Int((group >> (18 - 6 * UInt32(sextet))) & 0x3F)])
            }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes `text` encodes, or `nil` when it is not canonical unpadded base64url: a
    /// character outside the alphabet, a length that leaves 1 character over, or unused
    /// low bits that are not zero (so every byte string has exactly one encoding).
    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(characters.count * 3 / 4)
        var index = 0
        while index < characters.count {
            let count = min(4, characters.count - index)
            var group: UInt32 = 0
            for offset in 0..<4 {
                var value: UInt32 = 0
                if offset < count {
                    guard let sextet = sextet(characters[index + offset]) else { return nil }
                    value = sextet
                }
                group = group << 6 | value
            }
            let bytes = count - 1
            // Bits of the last character beyond the final byte must be zero.
            guard group & ((1 << (8 * (3 - UInt32(bytes)))) - 1) == 0 else { return nil }
            for byte in 0..<bytes {
                out.append(UInt8(truncatingIfNeeded: group >> (16 - 8 * UInt32(byte))))
            }
            index += 4
        }
        return out
    }

    private static func sextet(_ character: UInt8) -> UInt32? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt32(character - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): UInt32(character - UInt8(ascii: "a")) + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(character - UInt8(ascii: "0")) + 52
        case UInt8(ascii: "-"): 62
        case UInt8(ascii: "_"): 63
        default: nil
        }
    }
}
