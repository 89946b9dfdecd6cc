/// The credentials of one `Proxy-Authorization` or `Authorization` value (RFC 3261
/// §25.1 `credentials`): `Digest` credentials, or another scheme that sipfence
/// recognises and leaves alone.
public enum SIPCredentials: Hashable, Sendable {
    /// `Digest` credentials (RFC 3261 §22.4).
    case digest(SIPDigestCredentials)
    /// Credentials of another scheme (`other-response`), skipped without further
    /// parsing; `scheme` is the auth-scheme token as written.
    case other(scheme: String)

    /// Parses a header value: `Digest` with its parameters, or any other scheme.
    ///
    /// The grammar is RFC 3261 §25.1's: the scheme and parameter names compare without
    /// regard to case; parameters are separated by commas with optional whitespace (line
    /// folds included) around `,` and `=`; values are quoted strings (backslash escapes
    /// removed) or tokens — a token is also accepted where the RFC asks for quotes and
    /// the other way round, as deployed user agents quote `qop` or leave `algorithm`
    /// bare. A repeated parameter, an `nc` that is not 8 hex digits, and a `qop` without
    /// `nc` and `cnonce` are errors; unknown parameters are ignored.
    public init(parsing value: some StringProtocol) throws(SIPCredentialsError) {
        let bytes = Array(value.utf8)
        try self.init(bytes: bytes, range: bytes.startIndex..<bytes.endIndex)
    }

    /// Parses the header value in `range` of `bytes`.
    init(bytes: [UInt8], range: Range<Int>) throws(SIPCredentialsError) {
        var parser = SIPCredentialsParser(input: bytes, range: range)
        self = try parser.parse()
    }

    /// The Digest credentials, or `nil` for another scheme.
    public var digest: SIPDigestCredentials? {
        if case .digest(let credentials) = self { return credentials }
        return nil
    }
}
