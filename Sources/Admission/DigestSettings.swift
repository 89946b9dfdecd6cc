public import AccessControl

/// How sipfence asks for and checks digest credentials (RFC 3261 §22.3, RFC 7616) on
/// domains that have credential lists mapped.
public struct DigestSettings: Hashable, Sendable {
    /// How a domain's IP and digest rules combine (see ``AuthenticationMode``).
    public typealias Mode = AuthenticationMode

    /// The one realm sipfence challenges with, for every domain (`sip.digest_realm`).
    public var realm: String
    /// The algorithms offered, one challenge each, in this order (`sip.digest_algorithms`):
    /// many user agents read only the first challenge and know only MD5.
    public var algorithms: [DigestAlgorithm]
    /// How long a nonce stays valid, in seconds (`sip.digest_nonce_seconds`).
    public var nonceLifetime: UInt64
    /// How a domain's IP and digest rules combine (`sip.auth_mode`).
    public var mode: Mode
    /// The keys nonces are minted with and checked against.
    public var keyring: SIPKeyring

    /// Settings with sipfence's defaults: realm `sipfence`, MD5 then SHA-256, five-minute
    /// nonces, both rules required.
    public init(
        realm: String = "sipfence", algorithms: [DigestAlgorithm] = [.md5, .sha256], nonceLifetime: UInt64 = 300,
        mode: Mode = .all, keyring: SIPKeyring
    ) {
        self.realm = realm
        self.algorithms = algorithms
        self.nonceLifetime = nonceLifetime
        self.mode = mode
        self.keyring = keyring
    }

    /// The granularity of nonce issue times, in seconds: a retransmitted request within
    /// one step gets the same nonce, and so a byte-identical 407.
    var nonceStep: UInt64 { max(1, min(30, nonceLifetime / 10)) }
}
