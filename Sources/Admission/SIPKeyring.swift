public import Crypto
public import SIPCore

/// sipfence's one secret and the separate keys derived from it for each use.
///
/// Everything sipfence signs statelessly — the To-tags of its own responses and the
/// branches of the requests it forwards, digest nonces, dialog tokens — is keyed by a
/// subkey derived with HKDF-SHA256 (RFC 5869) from one master secret, with a distinct
/// `info` label per use, so that a value minted for one purpose can never verify as
/// another. The master secret persists (in the policy store, or `sip.secret`), so what a
/// node signed survives a restart and is accepted by every node that shares the secret.
///
/// Each keyring has a one-byte ``keyID``, derived from the secret too, which signed
/// values carry so that a verifier can pick the key that made them.
public struct SIPKeyring: Hashable, Sendable {
    /// The shortest master secret accepted: 16 bytes (128 bits).
    public static let minimumSecretLength = 16

    /// The key of the stateless To-tags and branches (SipHash-2-4, 128 bits).
    public let statelessSecret: SIPStatelessSecret
    /// The key of digest nonces (HMAC-SHA256, 256 bits).
    public let nonceKey: SymmetricKey
    /// The key of dialog tokens (HMAC-SHA256, 256 bits).
    public let dialogTokenKey: SymmetricKey
    /// HMAC-SHA256 already keyed with ``dialogTokenKey``: every in-dialog request is
    /// verified with it and every dialog-creating request forwarded mints with it, so
    /// the key's two padded blocks are hashed once, not per token.
    let dialogTokenMAC: HMAC<SHA256>
    /// The short identifier signed values carry to name this keyring.
    public let keyID: UInt8

    /// The keyring of `secret`.
    ///
    /// - Throws: ``SIPKeyringError/secretTooShort(_:)`` for a secret of fewer than
    ///   ``minimumSecretLength`` bytes.
    public init(secret: some Collection<UInt8>) throws(SIPKeyringError) {
        guard secret.count >= Self.minimumSecretLength else { throw .secretTooShort(secret.count) }
        let master = SymmetricKey(data: Array(secret))
        func derive(_ use: String, bytes: Int) -> SymmetricKey {
            HKDF<SHA256>.deriveKey(
                inputKeyMaterial: master, salt: Array("sipfence".utf8), info: Array("sipfence/v1/\(use)".utf8),
                outputByteCount: bytes)
        }
        let keyID = derive("key-id", bytes: 1).withUnsafeBytes { $0[0] }
        self.statelessSecret = derive("stateless-ids", bytes: 16).withUnsafeBytes { bytes in
            SIPStatelessSecret(
                UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)), keyID: keyID)
        }
        self.nonceKey = derive("digest-nonce", bytes: 32)
        self.dialogTokenKey = derive("dialog-token", bytes: 32)
        self.dialogTokenMAC = HMAC<SHA256>(key: dialogTokenKey)
        self.keyID = keyID
    }

    /// A keyring from `hex` (an even number of hexadecimal digits, at least 32), as
    /// `sip.secret` is written; `nil` when `hex` is not that.
    public init?(hex: some StringProtocol) {
        let digits = Array(hex.utf8)
        guard digits.count >= 2 * Self.minimumSecretLength, digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        try? self.init(secret: bytes)
    }

    /// A keyring of a fresh random secret: for tools and tests that sign nothing that
    /// must outlive them.
    public static func random() -> SIPKeyring {
        do {
            return try SIPKeyring(secret: randomSecret())
        } catch {
            preconditionFailure("32 random bytes are a valid secret: \(error)")
        }
    }

    public static func == (lhs: SIPKeyring, rhs: SIPKeyring) -> Bool {
        lhs.keyID == rhs.keyID && lhs.statelessSecret == rhs.statelessSecret && lhs.nonceKey == rhs.nonceKey
            && lhs.dialogTokenKey == rhs.dialogTokenKey
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(keyID)
        hasher.combine(statelessSecret)
    }

    /// 32 fresh random bytes: a master secret for a store that has none yet.
    public static func randomSecret() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in generator.next() }
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Why a ``SIPKeyring`` cannot be made.
public enum SIPKeyringError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The master secret has fewer than ``SIPKeyring/minimumSecretLength`` bytes.
    case secretTooShort(Int)

    public var description: String {
        switch self {
        case .secretTooShort(let count):
            "the secret has \(count) bytes; at least \(SIPKeyring.minimumSecretLength) (128 bits) are needed"
        }
    }
}
