/// What ``DigestNonce/verify(_:now:lifetime:maximumSkew:keys:realm:callID:source:)`` found.
public enum DigestNonceCheck: Hashable, Sendable {
    /// sipfence issued this nonce, for this realm, Call-ID and source address, and it has
    /// not expired.
    case valid
    /// sipfence issued this nonce for this realm, Call-ID and source, but its lifetime is
    /// over: when the response is right, challenge again with `stale=true` so the client
    /// retries with the new nonce without asking its user (RFC 7616 §3.3).
    case stale
    /// Not a nonce sipfence issued for this request: challenge afresh, without `stale`.
    case invalid(Reason)

    /// Why a nonce is not accepted.
    public enum Reason: String, Hashable, Sendable, CustomStringConvertible {
        /// Not the encoding of a nonce: wrong length or characters outside base64url.
        case malformed
        /// The key id names no key sipfence knows (any more).
        case unknownKey = "unknown_key"
        /// The MAC does not match: forged, altered, or minted for another realm, Call-ID
        /// or source address.
        case badMAC = "bad_mac"
        /// The issue time is later than now by more than the allowed clock skew.
        case issuedInFuture = "issued_in_future"

        /// A short, stable label for metrics and logs.
        public var description: String { rawValue }
    }
}
