public import SIPCore

/// What the admission pipeline needs to know besides the message and the policy.
public struct AdmissionSettings: Sendable {
    /// The host and port sipfence writes in the Via and recognises in Route headers.
    public struct ProxyAddress: Hashable, Sendable {
        /// A host name or IP address (IPv6 without brackets).
        public var host: String
        /// The port.
        public var port: Int

        /// An address from its parts.
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    /// The upstream SIP proxy that admitted traffic is forwarded to.
    public var upstream: SIPEndpoint
    /// sipfence's own address per transport: the sent-by of the Via it adds when it sends
    /// over that transport (the listening socket the peer can reach).
    public var proxyAddresses: [SIPTransport: ProxyAddress]
    /// The answer to a checked request for a domain the policy does not know (403 or 404).
    public var unknownDomainStatus: SIPStatus
    /// Methods whose source is checked against the domain's access lists (INVITE by
    /// default; a CANCEL is checked whenever INVITE is).
    public var checkedMethods: Set<String>
    /// The key of the stateless To-tags and branches.
    public var secret: SIPStatelessSecret
    /// How digest credentials are asked for and checked on domains with credential lists.
    public var digest: DigestSettings
    /// The previous secret, still accepted for verification until a time: To-tags,
    /// branches and nonces it signed keep working through a key rotation.
    public var rotation: KeyRotation?

    /// Settings with the defaults of DESIGN.md: unknown domains get 403, only INVITE is checked.
    public init(
        upstream: SIPEndpoint,
        proxyAddresses: [SIPTransport: ProxyAddress],
        unknownDomainStatus: SIPStatus = .forbidden,
        checkedMethods: Set<String> = ["INVITE"],
        secret: SIPStatelessSecret,
        digest: DigestSettings? = nil,
        rotation: KeyRotation? = nil
    ) {
        self.upstream = upstream
        self.proxyAddresses = proxyAddresses
        self.unknownDomainStatus = unknownDomainStatus
        self.checkedMethods = checkedMethods
        self.secret = secret
        // Without digest settings, nonces are keyed by a keyring of this instance only.
        self.digest = digest ?? DigestSettings(keyring: .random())
        self.rotation = rotation
    }

    /// The previous secret's To-tag and branch key while it is accepted at `now`.
    func previousSecret(at now: UInt64) -> SIPStatelessSecret? {
        rotation.flatMap { $0.accepts(at: now) ? $0.previous.statelessSecret : nil }
    }

    /// The Via sent-by for messages sent over `transport`.
    func proxyAddress(for transport: SIPTransport) -> ProxyAddress? {
        proxyAddresses[transport] ?? proxyAddresses[upstream.transport] ?? proxyAddresses.values.first
    }
}
