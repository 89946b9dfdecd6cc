import TestSupport
import Testing

@testable import SIPCore

/// The byte-level helpers the parser runs on every byte of every message, checked
/// against their plain definitions.
@Suite("byte helpers")
struct ByteHelperTests {
    @Test("token characters are exactly RFC 3261's alphanum and - . ! % * _ + ` ' ~ (all 256 bytes)")
    func tokenCharacters() {
        let marks = Set("-.!%*_+`'~".utf8)
        for value in 0...255 {
            let byte = UInt8(value)
            let expected = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || marks.contains(byte)
            #expect(byte.isTokenCharacter == expected, "byte \(value)")
        }
    }

    /// libosip2 gets each value as a C string with CR and LF as spaces and NUL as `0`;
    /// the rewrite passes over 16 bytes at a time, so values are generated with control
    /// characters before, across and after 16-byte boundaries.
    @Test("values handed to libosip2 have CR, LF and NUL rewritten and nothing else (3,000 generated)")
    func cStringRewrite() {
        var generator = SplitMix64(seed: 37)
        let alphabet: [UInt8] = [0, 9, 10, 11, 13, 32, 48, 65, 92, 126, 127, 200]
        for _ in 0..<3_000 {
            let bytes = (0..<Int(generator.next() % 70)).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            let lower = bytes.isEmpty ? 0 : Int(generator.next() % UInt64(bytes.count))
            let range = lower..<bytes.count
            let expected: [UInt8] = bytes[range].map { byte in
                switch byte {
                case 10, 13: 32
                case 0: UInt8(ascii: "0")
                default: byte
                }
            }
            let written: [UInt8]? = LibOSIP.withCString(bytes, range) { pointer in
                (0..<range.count).map { UInt8(bitPattern: pointer[$0]) } + [UInt8(bitPattern: pointer[range.count])]
            }
            #expect(written == expected + [0], "\(bytes) \(range)")
        }
    }
}
