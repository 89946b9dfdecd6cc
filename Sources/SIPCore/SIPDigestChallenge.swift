/// A `Digest` challenge as a proxy sends it in `Proxy-Authenticate` (RFC 3261 §22.3,
/// §25.1 `digest-cln`; RFC 7616 §3.3): realm, nonce, one algorithm, `qop="auth"`, and
/// optionally `opaque` and `stale=true`.
///
/// A proxy offering several algorithms sends one challenge per algorithm, most
/// preferred first (RFC 7616 §3.7, RFC 8760 §2.4); ``SIPMessage/proxyAuthenticationRequired(_:receivedVia:secret:)``
/// writes one header field per challenge, in order.
public struct SIPDigestChallenge: Hashable, Sendable {
    /// `realm=`: the protection space; the credentials must name it.
    public var realm: String
    /// `nonce=`: the server nonce the credentials must echo.
    public var nonce: String
    /// `algorithm=`: the token of the hash algorithm (`MD5`, `SHA-256`).
    public var algorithm: String
    /// `opaque=`, echoed by the client, if any.
    public var opaque: String?
    /// Whether to send `stale=true`: the previous credentials had the right response but
    /// an expired nonce, so the client retries with the new nonce without asking its user
    /// again (RFC 7616 §3.3).
    public var stale: Bool

    /// A challenge from its parameters.
    public init(realm: String, nonce: String, algorithm: String, opaque: String? = nil, stale: Bool = false) {
        self.realm = realm
        self.nonce = nonce
        self.algorithm = algorithm
        self.opaque = opaque
        self.stale = stale
    }

    /// One challenge per algorithm token in `algorithms`, in that order, sharing realm,
    /// nonce, opaque and stale.
    public static func challenges(
        realm: String,
        nonce: String,
        algorithms: [String],
        opaque: String? = nil,
        stale: Bool = false
    ) -> [SIPDigestChallenge] {
        algorithms.map { SIPDigestChallenge(realm: realm, nonce: nonce, algorithm: $0, opaque: opaque, stale: stale) }
    }

    /// The header value: `Digest realm="…", nonce="…", algorithm=MD5, qop="auth"`, then
    /// `, opaque="…"` and `, stale=true` when they apply.
    ///
    /// Quoted values escape `"` and `\`; control characters, which a quoted string cannot
    /// carry, and any byte that is not a token character in `algorithm` become `?`, so the
    /// header cannot be split or broken whatever the strings hold.
    public var headerValue: String {
        var out: [UInt8] = []
        out.reserveCapacity(96 + realm.utf8.count + nonce.utf8.count + (opaque?.utf8.count ?? 0))
        out.append("Digest realm=")
        out.appendQuotedString(realm)
        out.append(", nonce=")
        out.appendQuotedString(nonce)
        out.append(", algorithm=")
        out.append(contentsOf: algorithm.utf8.map { $0.isTokenCharacter ? $0 : UInt8(ascii: "?") })
        out.append(", qop=\"auth\"")
        if let opaque {
            out.append(", opaque=")
            out.appendQuotedString(opaque)
        }
        if stale { out.append(", stale=true") }
        return out.text
    }
}

extension Array where Element == UInt8 {
    /// Appends `text` as an RFC 3261 quoted-string: `"` and `\` escaped, control
    /// characters (which `qdtext` excludes and a quoted-pair may not carry as CR or LF)
    /// replaced by `?`.
    mutating func appendQuotedString(_ text: String) {
        append(.quote)
        for byte in text.utf8 {
            switch byte {
            case .quote, .backslash:
                append(.backslash)
                append(byte)
            case ..<0x20 where byte != .tab, 0x7F:
                append(UInt8(ascii: "?"))
            default:
                append(byte)
            }
        }
        append(.quote)
    }
}
