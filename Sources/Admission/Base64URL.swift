import Foundation

/// base64url without padding (RFC 4648 §5), through Foundation's base64: the encoding of
/// ``DigestNonce`` and ``DialogToken``. Its alphabet (`A`–`Z`, `a`–`z`, `0`–`9`, `-`, `_`)
/// is all SIP token characters, so a nonce needs no escaping in a quoted string and a
/// token none in a URI parameter. Dialog tokens are 36, 48 or 60 bytes: whole 3-byte
/// groups too.
///
/// Nonces are 27 bytes, a whole number of 3-byte groups, so their encoding has no
/// padding and no unused bits: every 36-character text decodes to exactly one byte
/// string, and no two texts to the same one.
enum Base64URL {
    /// The encoding of `bytes` (a multiple of 3 bytes long, as nonces are).
    static func encode(_ bytes: [UInt8]) -> String {
        // On the encoded bytes: mapping `Character`s was 1 % of an admitted INVITE's cost.
        var encoded = [UInt8](Data(bytes).base64EncodedData())
        for index in encoded.indices {
            switch encoded[index] {
            case UInt8(ascii: "+"): encoded[index] = UInt8(ascii: "-")
            case UInt8(ascii: "/"): encoded[index] = UInt8(ascii: "_")
            default: break
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }

    /// The bytes `text` encodes, or `nil` when it is not unpadded base64url of a whole
    /// number of 3-byte groups (a character outside the alphabet — `+`, `/` and `=`
    /// included — or a length that is not a multiple of 4).
    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var standard: [UInt8] = []
        standard.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "-"): standard.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): standard.append(UInt8(ascii: "/"))
            case UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="): return nil
            default: standard.append(byte)
            }
        }
        guard standard.count % 4 == 0, let data = Data(base64Encoded: Data(standard)) else { return nil }
        return Array(data)
    }
}
