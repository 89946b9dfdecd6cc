import TestSupport
import Testing

@testable import SIPCore

@Suite("SipHash-2-4")
struct SipHashTests {
    /// Reference vectors from the SipHash paper (key 00…0f, messages 00, 00 01, …).
    @Test(
        "matches the reference vectors",
        arguments: [
            (0, 0x726f_db47_dd0e_0e31 as UInt64),
            (1, 0x74f8_39c5_93dc_67fd),
            (8, 0x93f5_f579_9a93_2462),
            (15, 0xa129_ca61_49be_45e5),
        ]
    )
    func vectors(length: Int, expected: UInt64) {
        let message = (0..<length).map { UInt8($0) }
        var whole = SipHash24(k0: 0x0706_0504_0302_0100, k1: 0x0f0e_0d0c_0b0a_0908)
        whole.combine(message)
        #expect(whole.finalize() == expected)
        // Byte by byte, and split unevenly, the result is the same.
        var bytewise = SipHash24(k0: 0x0706_0504_0302_0100, k1: 0x0f0e_0d0c_0b0a_0908)
        for byte in message { bytewise.combine(byte) }
        #expect(bytewise.finalize() == expected)
        var split = SipHash24(k0: 0x0706_0504_0302_0100, k1: 0x0f0e_0d0c_0b0a_0908)
        split.combine(message.prefix(3))
        split.combine(message.dropFirst(3))
        #expect(split.finalize() == expected)
    }
}

@Suite("Hexadecimal tags")
struct PaddedHexTests {
    @Test("UInt64.paddedHex is 16 lower-case digits, as String(radix: 16) padded with zeros")
    func matchesRadixFormatting() {
        var random = SplitMix64(seed: 16)
        for value in [0, 1, 0xF, 0x10, 0xABCDEF, UInt64.max, UInt64.max >> 4] + (0..<200).map({ _ in random.next() }) {
            let digits = String(value, radix: 16)
            #expect(value.paddedHex == String(repeating: "0", count: 16 - digits.count) + digits)
        }
    }

    @Test("local tags and branches are the prefix, the key ID's 2 digits and the hash's 16", arguments: [0, 9, 10, 171, 255] as [UInt8])
    func keyedIdentifiers(keyID: UInt8) {
        let secret = SIPStatelessSecret(0x0123_4567_89AB_CDEF, 0x0FED_CBA9_8765_4321, keyID: keyID)
        let callID = Array("a84b4c76e66710@pc33.atlanta.com".utf8)
        var hasher = SipHash24(k0: 0x0123_4567_89AB_CDEF, k1: 0x0FED_CBA9_8765_4321)
        hasher.combine(field: "tag")
        hasher.combine(field: callID[...])
        hasher.combine(field: "1928301774".utf8)
        hasher.combine(field: "z9hG4bK776asdhds".utf8)
        let keyDigits = String(keyID, radix: 16)
        let keyText = keyDigits.count == 1 ? "0" + keyDigits : keyDigits
        let tag = secret.localTag(callID: callID[...], from: "1928301774".utf8, branch: "z9hG4bK776asdhds".utf8)
        #expect(tag == keyText + hasher.finalize().paddedHex)
        // The ACK check compares digits in place; it agrees with the tag and nothing else.
        #expect(secret.isLocalTag(tag, callID: callID[...], from: "1928301774".utf8, branch: "z9hG4bK776asdhds".utf8))
        #expect(!secret.isLocalTag(tag, callID: callID[...], from: "1928301775".utf8, branch: "z9hG4bK776asdhds".utf8))
        #expect(!secret.isLocalTag(tag.uppercased(), callID: callID[...], from: "1928301774".utf8, branch: "z9hG4bK776asdhds".utf8))
        #expect(!secret.isLocalTag(tag + "0", callID: callID[...], from: "1928301774".utf8, branch: "z9hG4bK776asdhds".utf8))
        #expect(!secret.isLocalTag(String(tag.dropLast()), callID: callID[...], from: "1928301774".utf8, branch: "z9hG4bK776asdhds".utf8))
        let branch = secret.verifiableBranch(clientBranch: "z9hG4bK1", sentBy: "192.0.2.1:5060", callID: "c", cseqNumber: 1)
        #expect(branch.hasPrefix("z9hG4bKsf" + keyText) && branch.utf8.count == 27)
        #expect(branch.utf8.dropFirst(11).allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) })
    }
}
