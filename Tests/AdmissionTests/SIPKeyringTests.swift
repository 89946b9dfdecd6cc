import Crypto
import SIPCore
import Testing

@testable import Admission

@Suite("SIPKeyring")
struct SIPKeyringTests {
    static let secret = Array(0..<32).map(UInt8.init)

    @Test("the same secret gives the same keys; another secret, other keys")
    func deterministic() throws {
        let first = try SIPKeyring(secret: Self.secret)
        let again = try SIPKeyring(secret: Self.secret)
        #expect(first.statelessSecret == again.statelessSecret)
        #expect(first.nonceKey == again.nonceKey)
        #expect(first.dialogTokenKey == again.dialogTokenKey)
        #expect(first.keyID == again.keyID)

        let other = try SIPKeyring(secret: Self.secret.map { $0 ^ 0x80 })
        #expect(other.statelessSecret != first.statelessSecret)
        #expect(other.nonceKey != first.nonceKey)
        #expect(other.dialogTokenKey != first.dialogTokenKey)
    }

    @Test("each use has its own key: a nonce key is not the dialog-token key")
    func separateSubkeys() throws {
        let keyring = try SIPKeyring(secret: Self.secret)
        #expect(keyring.nonceKey != keyring.dialogTokenKey)
        #expect(keyring.nonceKey.bitCount == 256)
        // The master secret itself is never used as a key.
        #expect(keyring.nonceKey != SymmetricKey(data: Self.secret))
        #expect(keyring.dialogTokenKey != SymmetricKey(data: Self.secret))
    }

    @Test("secrets are 128 bits or more, as hex of an even length")
    func parsing() throws {
        #expect(throws: SIPKeyringError.secretTooShort(15)) { try SIPKeyring(secret: Array(Self.secret.prefix(15))) }
        #expect(SIPKeyring(hex: "000102030405060708090a0b0c0d0e0f") != nil)
        #expect(SIPKeyring(hex: String(repeating: "Ab", count: 32)) != nil)
        #expect(SIPKeyring(hex: "000102030405060708090a0b0c0d0e") == nil)  // 120 bits
        #expect(SIPKeyring(hex: "000102030405060708090a0b0c0d0e0f0") == nil)  // odd
        #expect(SIPKeyring(hex: "000102030405060708090a0b0c0d0e0g") == nil)
        #expect(
            SIPKeyring(hex: "000102030405060708090a0b0c0d0e0f")?.statelessSecret
                == (try SIPKeyring(secret: Array(Self.secret.prefix(16)))).statelessSecret)
        #expect(SIPKeyring.randomSecret().count == 32)
        #expect(SIPKeyring.randomSecret() != SIPKeyring.randomSecret())
    }
}
