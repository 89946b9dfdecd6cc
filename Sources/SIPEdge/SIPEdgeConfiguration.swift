public import Admission
import AccessControl
public import SIPCore

/// What the SIP side of the daemon listens on, where it forwards, and its limits.
public struct SIPEdgeConfiguration: Hashable, Sendable {
    /// Sockets to listen on (`udp:` and `tcp:`, IPv4 and IPv6; port 0 picks a free port):
    /// the callers' side when ``upstreamListen`` is set, else both sides.
    public var listen: [SIPEndpoint]
    /// Sockets facing the upstream (`sip.upstream_listen`): when set, requests to the
    /// upstream go out from these, and only messages arriving on them from the upstream's
    /// address count as the upstream's. Empty: the ``listen`` sockets serve both sides.
    public var upstreamListen: [SIPEndpoint]
    /// The upstream SIP proxy.
    public var upstream: SIPEndpoint
    /// The host written in sipfence's Via and recognised in Route headers. By default the
    /// listening address, or — for a wildcard listener — the local address that routes
    /// to the upstream.
    public var advertisedHost: String?
    /// The answer to a checked request for an unknown domain.
    public var unknownDomainStatus: SIPStatus
    /// Methods whose out-of-dialog requests are checked against the domain's rules
    /// (`*`: all).
    public var checkedMethods: Set<String>
    /// How long a dialog token admits in-dialog requests from callers, in seconds.
    public var dialogTokenMaxAge: UInt64
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
    /// The most TCP connections open at once (`sip.max_tcp_connections`), inbound and
    /// outbound; more are closed at accept.
    public var maxTCPConnections: Int
    /// The most inbound TCP connections from one source (`sip.max_tcp_connections_per_source`;
    /// IPv6 sources counted per ``FloodLimits/ipv6PrefixLength`` prefix); 0 for no limit.
    public var maxTCPConnectionsPerSource: Int
    /// The share of ``maxTCPConnections`` (0…1) that only sources inside some mapped list
    /// may use (`sip.tcp_reserved_for_known`), so that unknown sources can never take
    /// the whole budget.
    public var tcpReservedForKnown: Double
    /// How long a TCP connection may stay silent before it is closed.
    public var tcpIdleTimeout: Duration
    /// How long an accepted connection has to deliver its first complete message
    /// (`sip.tcp_first_message_timeout`).
    public var tcpFirstMessageTimeout: Duration
    /// How long a message may take to arrive once its first byte did
    /// (`sip.tcp_message_timeout`, like Kamailio's `tcp_msg_read_timeout`).
    public var tcpMessageTimeout: Duration
    /// The most bytes a TCP message's header block may take before its empty line
    /// (`sip.max_header_bytes`); a longer one gets `513` and the connection is closed.
    public var maxHeaderBytes: Int
    /// Per-source request rates, bans and their exemptions (`sip.flood.*`).
    public var flood: FloodLimits
    /// How many datagrams one UDP read may return (vector reads).
    public var datagramsPerRead: Int

    /// A configuration with the defaults of DESIGN.md, signing with `keyring` (which
    /// replaces any keyring in `digest`).
    public init(
        listen: [SIPEndpoint],
        upstreamListen: [SIPEndpoint] = [],
        upstream: SIPEndpoint,
        advertisedHost: String? = nil,
        unknownDomainStatus: SIPStatus = .forbidden,
        checkedMethods: Set<String> = ["*"],
        dialogTokenMaxAge: UInt64 = AdmissionSettings.defaultDialogTokenMaxAge,
        keyring: SIPKeyring,
        digest: DigestSettings? = nil,
        rotation: KeyRotation? = nil,
        maxMessageBytes: Int = 65_536,
        maxTCPConnections: Int = 1_024,
        maxTCPConnectionsPerSource: Int = 64,
        tcpReservedForKnown: Double = 0.25,
        tcpIdleTimeout: Duration = .seconds(600),
        tcpFirstMessageTimeout: Duration = .seconds(10),
        tcpMessageTimeout: Duration = .seconds(20),
        maxHeaderBytes: Int = 16_384,
        flood: FloodLimits = FloodLimits(),
        datagramsPerRead: Int = 8
    ) {
        self.listen = listen
        self.upstreamListen = upstreamListen
        self.upstream = upstream
        self.advertisedHost = advertisedHost
        self.unknownDomainStatus = unknownDomainStatus
        self.checkedMethods = checkedMethods
        self.dialogTokenMaxAge = dialogTokenMaxAge
        var digest = digest ?? DigestSettings(keyring: keyring)
        digest.keyring = keyring
        self.digest = digest
        self.rotation = rotation
        self.maxMessageBytes = maxMessageBytes
        self.maxTCPConnections = maxTCPConnections
        self.maxTCPConnectionsPerSource = maxTCPConnectionsPerSource
        self.tcpReservedForKnown = tcpReservedForKnown
        self.tcpIdleTimeout = tcpIdleTimeout
        self.tcpFirstMessageTimeout = tcpFirstMessageTimeout
        self.tcpMessageTimeout = tcpMessageTimeout
        self.maxHeaderBytes = maxHeaderBytes
        self.flood = flood
        self.datagramsPerRead = datagramsPerRead
    }
}

extension SIPEdgeConfiguration {
    /// Every socket, with the side it faces.
    public var sockets: [(endpoint: SIPEndpoint, side: SIPInterface.Side)] {
        upstreamListen.isEmpty
            ? listen.map { ($0, .both) }
            : listen.map { ($0, .callers) } + upstreamListen.map { ($0, .upstream) }
    }

    /// Why sipfence could not send what it admits with these sockets, keyed by the
    /// configuration key to change; empty when it can. The upstream needs a socket of its
    /// transport and address family (or a dual-stack `[::]` one) on its side, so that
    /// requests go out from an address of that family, written in the Via.
    public var reachabilityProblems: [(key: String, reason: String)] {
        let key = upstreamListen.isEmpty ? "sip.listen" : "sip.upstream_listen"
        let family = upstream.address.canonical.family
        let reaching = sockets.contains { socket in
            socket.side.facesUpstream && socket.endpoint.transport == upstream.transport && socket.endpoint.reaches(family)
        }
        guard !reaching else { return [] }
        let name = family == .ipv4 ? "IPv4" : "IPv6"
        let example = family == .ipv4 ? "\(upstream.transport.rawValue.lowercased()):0.0.0.0:5060" : "\(upstream.transport.rawValue.lowercased()):[::]:5060"
        return [(
            key,
            "no \(upstream.transport.rawValue.lowercased()) socket of the upstream's address family (\(name)) to send to \(upstream) from; add one, e.g. \(example)"
        )]
    }
}
