/// How a request-digest is formed: with `qop=auth` and the client's nonce count and
/// cnonce, or without any qop for RFC 2069 compatibility (RFC 3261 §22.4, RFC 7616 §3.4.1).
///
/// sipfence offers `qop="auth"` only: `auth-int` would need the body, which the filter
/// never reads.
public enum DigestQOP: Hashable, Sendable {
    /// No `qop` in the credentials: `KD(HA1, nonce ":" HA2)`, the RFC 2069 form that
    /// RFC 3261 §22.4 keeps for older user agents.
    case rfc2069
    /// `qop=auth`: `KD(HA1, nonce ":" nc ":" cnonce ":" "auth" ":" HA2)`. `nc` is the
    /// nonce count exactly as the client wrote it (8 hex digits) and `cnonce` its client
    /// nonce, unquoted.
    case auth(nc: String, cnonce: String)
}
