/// The `Digest` credentials of a `Proxy-Authorization` or `Authorization` value
/// (RFC 3261 §22.4, §25.1 `digest-response`; RFC 7616 §3.4), unquoted and unescaped.
///
/// The parameters are kept as the client wrote them — `nc` as its 8 hex digits, `uri` as
/// the text between the quotes — because the request-digest is computed over exactly
/// those strings. Interpreting them (which algorithm, whether the nonce is ours, whether
/// the response is right) is the verifier's business, not the parser's.
public struct SIPDigestCredentials: Hashable, Sendable {
    /// `username=`: the user whose HA1 the response is keyed with.
    public var username: String
    /// `realm=`: the protection space the credentials are for (RFC 3261 §22.1); a proxy
    /// acts only on credentials for its own realm (§22.3).
    public var realm: String
    /// `nonce=`: the server nonce from the challenge being answered.
    public var nonce: String
    /// `uri=`: the digest-uri, the Request-URI as the client sent it (RFC 3261 §22.4).
    public var uri: String
    /// `response=`: the request-digest, hex (32 digits for MD5, 64 for SHA-256).
    public var response: String
    /// `algorithm=`, as written (`MD5`, `SHA-256`, …); absent means MD5 (RFC 7616 §3.3).
    public var algorithm: String?
    /// `cnonce=`: the client nonce, present when `qop` is.
    public var cnonce: String?
    /// `qop=`: the quality of protection the client chose (`auth`), if any; absent for
    /// RFC 2069-style credentials.
    public var qop: String?
    /// `nc=`: the nonce count, exactly 8 hex digits as written, present when `qop` is.
    public var nc: String?
    /// `opaque=`: echoed from the challenge, if it had one.
    public var opaque: String?

    /// Credentials from their parameters (for tests and for building requests).
    public init(
        username: String,
        realm: String,
        nonce: String,
        uri: String,
        response: String,
        algorithm: String? = nil,
        cnonce: String? = nil,
        qop: String? = nil,
        nc: String? = nil,
        opaque: String? = nil
    ) {
        self.username = username
        self.realm = realm
        self.nonce = nonce
        self.uri = uri
        self.response = response
        self.algorithm = algorithm
        self.cnonce = cnonce
        self.qop = qop
        self.nc = nc
        self.opaque = opaque
    }

    /// The nonce count as a number, when `nc` is present.
    public var nonceCount: UInt32? { nc.flatMap { UInt32($0, radix: 16) } }
}
