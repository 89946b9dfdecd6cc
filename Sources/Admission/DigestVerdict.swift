/// What the digest rule says of a request's credentials for sipfence's realm.
public enum DigestVerdict: Hashable, Sendable {
    /// Valid credentials of `username` from the credential list `listID`.
    case authenticated(username: String, listID: String)
    /// No usable credentials: answer with a challenge.
    case challenge(DigestChallengeReason)
    /// Credentials that can never pass: refuse with 403.
    case refused(DigestRejection)
}

/// Why the digest rule answers with a challenge.
public enum DigestChallengeReason: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// No credentials for sipfence's realm.
    case noCredentials = "no_credentials"
    /// A nonce sipfence did not issue for this realm, Call-ID and source (or under a key
    /// no longer accepted).
    case invalidNonce = "invalid_nonce"
    /// The right response to a nonce whose lifetime is over: challenged with
    /// `stale=true`, so the user agent retries without asking for a password
    /// (RFC 7616 §3.3).
    case staleNonce = "stale_nonce"

    /// Whether the challenge says `stale=true`.
    public var isStale: Bool { self == .staleNonce }

    public var description: String { rawValue }
}

/// Why credentials for sipfence's realm can never pass.
public enum DigestRejection: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// An `algorithm=` sipfence did not offer.
    case unsupportedAlgorithm = "unsupported_digest_algorithm"
    /// A digest `uri` other than the Request-URI (RFC 7616 §3.4.6): credentials made for
    /// another request.
    case digestURIMismatch = "digest_uri_mismatch"
    /// A username on none of the mapped credential lists.
    case unknownUsername = "unknown_username"
    /// `qop=auth` without `nc` and `cnonce`.
    case incompleteCredentials = "incomplete_credentials"
    /// A `qop` other than `auth` (sipfence offers only `auth`).
    case unsupportedQOP = "unsupported_qop"
    /// The response does not match: a wrong password.
    case wrongCredentials = "wrong_credentials"

    public var description: String { rawValue }
}
