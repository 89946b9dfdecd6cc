public import AccessControl

/// The per-source flood limits (`sip.flood.*`): how fast one source may send requests,
/// when a source that keeps sending too fast is banned, and who is never banned.
///
/// Sources are counted per ``sourceKey(for:)``: an IPv4 address, or the IPv6 prefix of
/// ``ipv6PrefixLength`` bits that holds an IPv6 address (one host usually owns a whole
/// /64, so counting single IPv6 addresses would let it multiply its budget).
public struct FloodLimits: Hashable, Sendable {
    /// Requests per second one source outside every mapped list may send
    /// (`sip.flood.unknown_source_rate`); 0 for no limit.
    public var unknownSourceRate: Double
    /// How many requests such a source may send at once before the rate applies
    /// (`sip.flood.unknown_source_burst`).
    public var unknownSourceBurst: Double
    /// Requests per second one source inside some mapped list may send
    /// (`sip.flood.known_source_rate`); 0 for no limit. Known sources are never banned.
    public var knownSourceRate: Double
    /// The burst of a known source (`sip.flood.known_source_burst`).
    public var knownSourceBurst: Double
    /// How long, in seconds, a source must keep going over its rate before it is banned
    /// (`sip.flood.ban_after_seconds`); 0 never bans for rate.
    public var banAfter: Double
    /// How long a ban lasts, in seconds (`sip.flood.ban_seconds`).
    public var banDuration: Double
    /// Failed digest authentications (wrong password or unknown user) one source may
    /// cause in a minute before it is banned (`sip.flood.digest_failures_per_minute`);
    /// 0 never bans for them.
    public var digestFailuresPerMinute: Int
    /// The prefix length IPv6 sources are counted and banned by
    /// (`sip.flood.ipv6_prefix_length`, 32…128).
    public var ipv6PrefixLength: Int
    /// Sources that are limited but never banned (`sip.flood.never_ban`): monitoring
    /// hosts, and anything a spoofed UDP flood must not get banned in its name.
    public var neverBan: [IPPrefix]
    /// The most sources whose rate is tracked at once (`sip.flood.max_tracked_sources`),
    /// and the most bans held at once; this bounds the memory of the limits whatever the
    /// number of sources.
    public var maxTrackedSources: Int

    /// The defaults documented in the README, key by key.
    public init(
        unknownSourceRate: Double = 30,
        unknownSourceBurst: Double = 60,
        knownSourceRate: Double = 0,
        knownSourceBurst: Double = 400,
        banAfter: Double = 10,
        banDuration: Double = 600,
        digestFailuresPerMinute: Int = 10,
        ipv6PrefixLength: Int = 64,
        neverBan: [IPPrefix] = [],
        maxTrackedSources: Int = 65_536
    ) {
        self.unknownSourceRate = unknownSourceRate
        self.unknownSourceBurst = unknownSourceBurst
        self.knownSourceRate = knownSourceRate
        self.knownSourceBurst = knownSourceBurst
        self.banAfter = banAfter
        self.banDuration = banDuration
        self.digestFailuresPerMinute = digestFailuresPerMinute
        self.ipv6PrefixLength = ipv6PrefixLength
        self.neverBan = neverBan
        self.maxTrackedSources = maxTrackedSources
    }

    /// No rate limit and no ban: for benchmarks, and for tests whose load must not meet
    /// a limit.
    public static let unlimited = FloodLimits(
        unknownSourceRate: 0, knownSourceRate: 0, banAfter: 0, digestFailuresPerMinute: 0)

    /// What a source is counted as: the IPv4 address itself (IPv4-mapped IPv6 included),
    /// or the IPv6 prefix of ``ipv6PrefixLength`` bits holding it.
    public func sourceKey(for address: IPAddress) -> IPPrefix {
        Self.sourceKey(for: address, ipv6PrefixLength: ipv6PrefixLength)
    }

    /// ``sourceKey(for:)`` with the IPv6 prefix length given.
    static func sourceKey(for address: IPAddress, ipv6PrefixLength: Int) -> IPPrefix {
        let address = address.canonical
        guard address.family == .ipv6 else { return IPPrefix(host: address) }
        return (try? IPPrefix(address: address, length: ipv6PrefixLength)) ?? IPPrefix(host: address)
    }

    /// Whether `address` may never be banned (it lies in ``neverBan``).
    public func isNeverBanned(_ address: IPAddress) -> Bool {
        let address = address.canonical
        return neverBan.contains { $0.canonical.contains(address) }
    }
}
