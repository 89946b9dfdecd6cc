public import AccessControl
public import SIPCore
import Synchronization

/// Finds SIP servers through DNS with c-ares, as RFC 3263 §4 says, and caches what DNS
/// answers.
///
/// What it does for a host (RFC 3263 §4.1, §4.2; NAPTR is skipped):
/// - an IP address literal is the target itself, at the URI's port or the transport's
///   default port, over the URI's transport or UDP (TLS for `sips`);
/// - a host name with a port is looked up with A and AAAA only;
/// - otherwise the SRV records `_sip._udp`, `_sip._tcp` (`_sips._tcp` for TLS or `sips`)
///   of the URI's transport are looked up — with no transport given, UDP's and then TCP's,
///   and the targets of both are returned, UDP first. SRV records are ordered by priority,
///   then by weighted random selection (RFC 2782); each SRV target's A and AAAA records
///   give the targets' addresses;
/// - a name without SRV records is looked up with A and AAAA at the default port (5060,
///   5061 for TLS), over the URI's transport or UDP (TLS for `sips`).
///
/// Every result holds both address families; within one host, ``preferredFamily`` comes
/// first. WebSocket transports have no SRV names (RFC 7118) and go straight to A/AAAA.
///
/// **Cache.** Each DNS answer (one per name and record type) is kept for its TTL — for an
/// SRV, A or AAAA answer the smallest TTL of its records, for NXDOMAIN or NODATA the SOA's
/// negative TTL (RFC 2308 §5) but never longer than ``negativeCachingLimit`` (also used when
/// the reply carries no SOA). A TTL of 0 is not cached. At most ``cacheCapacity`` answers are
/// held; storing one more first drops the expired ones, then the one expiring soonest.
/// Server failures and timeouts are not cached.
///
/// **Threads.** c-ares 1.18 has no event thread, so each locator runs its c-ares channel on
/// a thread of its own, waiting in `poll(2)`; calling tasks suspend and never block Swift's
/// cooperative threads. Many questions are in flight at once. The locator is safe to share
/// between tasks; its thread stops when the locator is released, failing what is pending.
public final class CAresServerLocator: SIPServerLocating {
    /// The most DNS answers the cache holds (0: no caching).
    public let cacheCapacity: Int
    /// How long a DNS question may go unanswered, retries included, before
    /// ``SIPLocationError/timeout(name:after:)``.
    public let timeout: Duration
    /// The longest a negative answer (NXDOMAIN, NODATA) is cached.
    public let negativeCachingLimit: Duration
    /// The address family listed first among one host's addresses.
    public let preferredFamily: IPAddress.Family

    let resolver: DNSResolverThread
    let cache: Mutex<DNSCache>
    let randomNumbers: Mutex<any RandomNumberGenerator & Sendable>

    /// A locator that asks `servers`, or the system's resolvers.
    ///
    /// - Parameters:
    ///   - servers: DNS servers as `"192.0.2.53"`, `"127.0.0.1:5353"` or `"[2001:db8::53]:53"`;
    ///     `nil` reads `/etc/resolv.conf` (once, now).
    ///   - cacheCapacity: The most DNS answers kept (one per name and record type).
    ///   - timeout: How long one DNS question may go unanswered, retries included.
    ///   - negativeCachingLimit: The longest NXDOMAIN and NODATA answers are kept.
    ///   - preferredFamily: Which of one host's address families is tried first; IPv6 by
    ///     default, as RFC 6724 §10.3's default policy prefers.
    ///   - randomNumberGenerator: The source of RFC 2782's weighted random SRV selection;
    ///     tests pass a fixed one.
    /// - Throws: ``SIPLocationError/resolverUnavailable(reason:)`` when c-ares cannot start,
    ///   a server is not an address, or the timeout is not positive.
    public init(
        servers: [String]? = nil,
        cacheCapacity: Int = 4096,
        timeout: Duration = .seconds(2),
        negativeCachingLimit: Duration = .seconds(30),
        preferredFamily: IPAddress.Family = .ipv6,
        randomNumberGenerator: some RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()
    ) throws(SIPLocationError) {
        self.resolver = try DNSResolverThread(servers: servers, timeout: timeout)
        self.cacheCapacity = max(0, cacheCapacity)
        self.timeout = timeout
        self.negativeCachingLimit = negativeCachingLimit
        self.preferredFamily = preferredFamily
        self.cache = Mutex(DNSCache(capacity: cacheCapacity))
        self.randomNumbers = Mutex(randomNumberGenerator)
    }

    /// The number of DNS answers in the cache now (expired ones included until dropped).
    public var cachedAnswerCount: Int {
        cache.withLock { $0.count }
    }

    /// The targets for a URI's host, in the order to try them (RFC 3263 §4).
    ///
    /// - Throws: ``SIPLocationError``: ``SIPLocationError/invalidHost(_:)`` or
    ///   ``SIPLocationError/invalidPort(_:)`` for arguments that cannot be looked up;
    ///   ``SIPLocationError/nameNotFound(_:)``, ``SIPLocationError/noAddresses(_:)`` or
    ///   ``SIPLocationError/serviceNotAvailable(_:)`` when DNS answers that there is no
    ///   target; ``SIPLocationError/serverFailure(name:reason:)`` or
    ///   ``SIPLocationError/timeout(name:after:)`` when DNS does not answer usefully.
    public func locate(host: String, port: Int?, transport: SIPTransport?, secure: Bool) async throws(SIPLocationError)
        -> [SIPServerTarget]
    {
        if let port, !(1...65535).contains(port) { throw .invalidPort(port) }
        let transport = Self.effectiveTransport(transport, secure: secure)
        let literal = host.hasPrefix("[") && host.hasSuffix("]") ? host.dropFirst().dropLast() : host[...]
        if let address = IPAddress(parsing: literal) {
            let chosen = transport ?? (secure ? .tls : .udp)
            return [SIPServerTarget(transport: chosen, address: address, port: port ?? chosen.defaultPort)]
        }
        let name: String
        do {
            name = try DomainName(validating: host).normalized
        } catch {
            throw .invalidHost(host)
        }
        if let port {
            return try await addressTargets(of: name, transport: transport ?? (secure ? .tls : .udp), port: port)
        }
        return try await serviceTargets(of: name, transport: transport, secure: secure)
    }

    /// The transport a URI means: a `sips` URI needs TLS (RFC 3263 §4.1), or secure
    /// WebSocket when it names WebSocket.
    private static func effectiveTransport(_ transport: SIPTransport?, secure: Bool) -> SIPTransport? {
        guard secure else { return transport }
        return transport == .ws || transport == .wss ? .wss : .tls
    }
}
