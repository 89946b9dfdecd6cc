public import Admission
public import SIPCore

/// What the SIP side of the daemon listens on, where it forwards, and its limits.
public struct SIPEdgeConfiguration: Hashable, Sendable {
    /// Sockets to listen on (`udp:` and `tcp:`, IPv4 and IPv6; port 0 picks a free port).
    public var listen: [SIPEndpoint]
    /// The upstream SIP proxy.
    public var upstream: SIPEndpoint
    /// The host written in sipfence's Via and recognised in Route headers. By default the
    /// listening address, or — for a wildcard listener — the local address that routes
    /// to the upstream.
    public var advertisedHost: String?
    /// The answer to a checked request for an unknown domain.
    public var unknownDomainStatus: SIPStatus
    /// Methods checked against the access lists.
    public var checkedMethods: Set<String>
    /// Digest authentication: realm, algorithms, nonce lifetime, auth mode, and the
    /// keyring everything sipfence signs is keyed by.
    public var digest: DigestSettings
    /// The key of the stateless To-tags and branches: the keyring's.
    public var secret: SIPStatelessSecret { digest.keyring.statelessSecret }
    /// A key rotation in progress: the previous secret, accepted for verification until
    /// a time (`sip.previous_secret`, `sip.previous_secret_until`).
    public var rotation: KeyRotation?
    /// The largest message accepted (headers and body); larger ones get `513`.
    public var maxMessageBytes: Int
    /// The most TCP connections accepted at once; more are closed at accept.
    public var maxTCPConnections: Int
    /// How long a TCP connection may stay silent before it is closed.
    public var tcpIdleTimeout: Duration
    /// How many datagrams one UDP read may return (vector reads).
    public var datagramsPerRead: Int

    /// A configuration with the defaults of DESIGN.md, signing with `keyring` (which
    /// replaces any keyring in `digest`).
    public init(
        listen: [SIPEndpoint],
        upstream: SIPEndpoint,
        advertisedHost: String? = nil,
        unknownDomainStatus: SIPStatus = .forbidden,
        checkedMethods: Set<String> = ["INVITE"],
        keyring: SIPKeyring,
        digest: DigestSettings? = nil,
        rotation: KeyRotation? = nil,
        maxMessageBytes: Int = 65_536,
        maxTCPConnections: Int = 1_024,
        tcpIdleTimeout: Duration = .seconds(600),
        datagramsPerRead: Int = 8
    ) {
        self.listen = listen
        self.upstream = upstream
        self.advertisedHost = advertisedHost
        self.unknownDomainStatus = unknownDomainStatus
        self.checkedMethods = checkedMethods
        var digest = digest ?? DigestSettings(keyring: keyring)
        digest.keyring = keyring
        self.digest = digest
        self.rotation = rotation
        self.maxMessageBytes = maxMessageBytes
        self.maxTCPConnections = maxTCPConnections
        self.tcpIdleTimeout = tcpIdleTimeout
        self.datagramsPerRead = datagramsPerRead
    }
}
