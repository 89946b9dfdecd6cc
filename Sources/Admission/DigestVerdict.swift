/// What the digest rule says of a request's credentials for sipfence's realm.
public enum DigestVerdict: Hashable, Sendable {
    /// Valid credentials of `username` from the credential list `listID`.
    case authenticated(username: String, listID: String)
    /// No usable credentials: answer with a challenge. `stale` when the only fault was
    /// the nonce's age (RFC 7616 §3.3), so the user agent retries without asking anyone
    /// for a password.
    case challenge(stale: Bool, reason: String)
    /// Credentials that can never pass (wrong password, unknown username, a digest URI
    /// for another request): refuse with 403.
    case refused(reason: String)
}
