public import AccessControl
public import SIPCore

/// What the admission pipeline needs to know besides the message and the policy.
public struct AdmissionSettings: Sendable {
    /// The upstream SIP proxy that admitted traffic is forwarded to.
    public var upstream: SIPEndpoint
    /// sipfence's sockets: what it writes in Via, Record-Route and Path when it sends
    /// from each, which side each faces, and what it recognises as its own in Route
    /// headers and Request-URIs.
    public var interfaces: [SIPInterface]
    /// The answer to a checked request for a domain the policy does not know (403 or 404).
    public var unknownDomainStatus: SIPStatus
    /// Methods whose out-of-dialog requests are judged by the target domain's rules:
    /// `*` (the default) for every method, as Twilio refuses every request to a domain from
    /// outside its lists. REGISTER always keeps its own rule; a CANCEL is checked whenever
    /// INVITE is; the ACK of a local answer is absorbed.
    public var checkedMethods: Set<String>
    /// How long a dialog token admits in-dialog requests from callers, in seconds.
    public var dialogTokenMaxAge: UInt64
    /// The key of the stateless To-tags and branches.
    public var secret: SIPStatelessSecret
    /// How digest credentials are asked for and checked on domains with credential lists.
    public var digest: DigestSettings
    /// The previous secret, still accepted for verification until a time: To-tags,
    /// branches and nonces it signed keep working through a key rotation.
    public var rotation: KeyRotation?

    /// The default of ``dialogTokenMaxAge``: a day, longer than any call.
    public static let defaultDialogTokenMaxAge: UInt64 = 86_400

    /// Settings with the defaults of DESIGN.md: unknown domains get 403, every method is
    /// checked.
    public init(
        upstream: SIPEndpoint,
        interfaces: [SIPInterface],
        unknownDomainStatus: SIPStatus = .forbidden,
        checkedMethods: Set<String> = ["*"],
        dialogTokenMaxAge: UInt64 = defaultDialogTokenMaxAge,
        secret: SIPStatelessSecret,
        digest: DigestSettings? = nil,
        rotation: KeyRotation? = nil
    ) {
        self.upstream = upstream
        self.interfaces = interfaces
        self.unknownDomainStatus = unknownDomainStatus
        self.checkedMethods = checkedMethods
        self.dialogTokenMaxAge = dialogTokenMaxAge
        self.secret = secret
        // Without digest settings, nonces are keyed by a keyring of this instance only.
        self.digest = digest ?? DigestSettings(keyring: .random())
        self.rotation = rotation
    }

    /// The previous secret's To-tag and branch key while it is accepted at `now`.
    func previousSecret(at now: UInt64) -> SIPStatelessSecret? {
        rotation.flatMap { $0.accepts(at: now) ? $0.previous.statelessSecret : nil }
    }

    /// The keyring for a key id sipfence accepts at `now`: the current one, or the
    /// previous one during a rotation.
    func keyring(for keyID: UInt8, at now: UInt64) -> SIPKeyring? {
        if keyID == digest.keyring.keyID { return digest.keyring }
        if let rotation, rotation.previous.keyID == keyID, rotation.accepts(at: now) { return rotation.previous }
        return nil
    }

    /// The socket requests to the upstream are sent from: one facing the upstream, of its
    /// transport, of its address family (a dual-stack wildcard socket as a last resort).
    public var upstreamInterface: SIPInterface? {
        let family = upstream.address.canonical.family
        let candidates = interfaces.filter { $0.side.facesUpstream && $0.transport == upstream.transport }
        return candidates.first { $0.endpoint.address.canonical.family == family } ?? candidates.first { $0.reaches(family) }
    }

    /// The socket requests to a caller of `family` over `transport` are sent from.
    public func callerInterface(_ transport: SIPTransport, family: IPAddress.Family) -> SIPInterface? {
        let candidates = interfaces.filter { $0.side.facesCallers && $0.transport == transport }
        return candidates.first { $0.endpoint.address.canonical.family == family } ?? candidates.first { $0.reaches(family) }
    }

    /// The interface a message arrived on, from the endpoint its source names.
    func interface(_ endpoint: SIPEndpoint?) -> SIPInterface? {
        guard let endpoint else { return nil }
        return interfaces.first { $0.endpoint == endpoint }
            ?? interfaces.first { interface in
                interface.transport == endpoint.transport && interface.port == endpoint.port
                    && interface.reaches(endpoint.address.canonical.family)
            }
    }

    /// Whether `host` and `port` name one of sipfence's sockets: the address it
    /// advertises for it (IP addresses compared as addresses).
    func isOwn(host: String, port: Int) -> Bool {
        Self.isOwn(host: host, port: port, among: interfaces)
    }

    /// ``isOwn(host:port:)`` over `interfaces`, for callers that hold only those.
    static func isOwn(host: String, port: Int, among interfaces: [SIPInterface]) -> Bool {
        let address = IPAddress(parsing: host)?.canonical
        return interfaces.contains { interface in
            guard interface.port == port else { return false }
            if let address, let own = IPAddress(parsing: interface.advertisedHost) { return own.canonical == address }
            return interface.advertisedHost.lowercased() == host.lowercased()
        }
    }
}
