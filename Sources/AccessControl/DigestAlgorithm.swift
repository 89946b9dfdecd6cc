import Crypto

/// A hash algorithm of HTTP Digest authentication as SIP uses it (RFC 3261 §22.4,
/// RFC 7616 §3.2): the `algorithm=` of a challenge and of the credentials answering it.
///
/// A credential is kept as its `HA1` for each algorithm — `H(username ":" realm ":"
/// password)`, lower-case hex — never as the password (RFC 7616 §5.13: the HA1 is what
/// verification needs, and it is still password-equivalent for that realm, so it is
/// stored and exported with the care a password would get).
public enum DigestAlgorithm: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// `MD5`, the algorithm of RFC 2617 and of most deployed SIP user agents.
    case md5 = "MD5"
    /// `SHA-256` (RFC 7616 §3.2, RFC 8760 for SIP).
    case sha256 = "SHA-256"

    /// The algorithm named `token` in a challenge or credentials, compared without regard
    /// to case (`md5`, `SHA-256`); `nil` for any other (including the `-sess` variants,
    /// which sipfence does not offer).
    public init?(token: some StringProtocol) {
        switch token.lowercased() {
        case "md5": self = .md5
        case "sha-256": self = .sha256
        default: return nil
        }
    }

    /// The token as written in `algorithm=`.
    public var description: String { rawValue }

    /// The length of ``hash(_:)``'s output: 32 hex digits for MD5, 64 for SHA-256.
    public var hexLength: Int {
        switch self {
        case .md5: 32
        case .sha256: 64
        }
    }

    /// `H(data)`: the digest of `data`'s UTF-8 bytes as lower-case hex.
    public func hash(_ data: some StringProtocol) -> String {
        var text = String(data)
        return text.withUTF8 { bytes in
            switch self {
            case .md5: Self.digest(Insecure.MD5.self, of: UnsafeRawBufferPointer(bytes))
            case .sha256: Self.digest(SHA256.self, of: UnsafeRawBufferPointer(bytes))
            }
        }
    }

    /// `HA1 = H(username ":" realm ":" password)` (RFC 7616 §3.4.2): what a credential
    /// store keeps instead of the password.
    public func ha1(username: String, realm: String, password: String) -> String {
        hash("\(username):\(realm):\(password)")
    }

    /// Whether `text` has the shape of an HA1 of this algorithm: ``hexLength`` lower-case
    /// hex digits.
    public func isWellFormedHA1(_ text: String) -> Bool {
        text.utf8.count == hexLength
            && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    private static func digest<H: HashFunction>(_: H.Type, of bytes: UnsafeRawBufferPointer) -> String {
        var function = H()
        function.update(bufferPointer: bytes)
        return hex(function.finalize())
    }

    private static func hex(_ digest: some Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(Self.md5.hexLength * 2)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
