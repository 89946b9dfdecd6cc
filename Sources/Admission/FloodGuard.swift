public import AccessControl
public import SIPCore
import Synchronization

/// The state of the per-source flood limits: a token bucket per source, the bans, and
/// digest failure counts, kept outside the pure ``AdmissionPipeline`` and handed the
/// time, so the daemon (wall clock) and `sipfence replay` (the capture's timestamps)
/// drive the same rule.
///
/// Sources are spread over 64 independently locked shards by their key
/// (``FloodLimits/sourceKey(for:)``), each with its own copy of the limits, so the hot
/// path takes one short lock of its shard and no global one.
///
/// Memory is bounded: each shard tracks at most `maxTrackedSources / 64` sources and
/// holds as many bans. When a shard is full it first forgets sources whose bucket has
/// refilled (they would start again exactly where they are), then the least recently
/// seen half; a forgotten source starts again with a full bucket. When a shard's bans
/// are full, a new ban replaces the one that ends soonest. Every forgotten source and
/// replaced ban is counted in ``forgotten``.
public final class FloodGuard: Sendable {
    /// How many shards the state is split into.
    static let shardCount = 64

    private struct Entry {
        var tokens: Double
        var last: Double
        /// When the current stretch over the limit began.
        var overSince: Double?
        var lastDrop: Double = -.infinity
        var offences = 0
        var digestWindowStart: Double = -.infinity
        var digestFailures = 0
    }

    private struct Shard {
        var limits: FloodLimits
        var entries: [IPPrefix: Entry] = [:]
        var bans: [IPPrefix: FloodBan] = [:]
        var capacity: Int { max(16, limits.maxTrackedSources / FloodGuard.shardCount) }
    }

    private final class ShardBox: Sendable {
        let state: Mutex<Shard>
        init(_ limits: FloodLimits) { state = Mutex(Shard(limits: limits)) }
    }

    private let shards: [ShardBox]
    /// The limits as configured, for ``limits``; the hot path reads its shard's copy.
    private let limitsState: Mutex<FloodLimits>
    /// ``FloodLimits/ipv6PrefixLength``, read without a lock to find a source's shard.
    private let ipv6PrefixLength: Atomic<Int>
    private let forgottenCount = Atomic<Int>(0)

    /// A guard with no sources tracked and no bans.
    public init(limits: FloodLimits) {
        self.shards = (0..<Self.shardCount).map { _ in ShardBox(limits) }
        self.limitsState = Mutex(limits)
        self.ipv6PrefixLength = Atomic(limits.ipv6PrefixLength)
    }

    /// The limits in force.
    public var limits: FloodLimits { limitsState.withLock { $0 } }

    /// Installs new limits (a reload): bans and buckets are kept; sources now in
    /// `never_ban` lose their bans.
    public func update(_ limits: FloodLimits) {
        limitsState.withLock { $0 = limits }
        ipv6PrefixLength.store(limits.ipv6PrefixLength, ordering: .relaxed)
        for shard in shards {
            shard.state.withLock { shard in
                shard.limits = limits
                shard.bans = shard.bans.filter { !limits.isNeverBanned($0.value.address) }
            }
        }
    }

    /// Sources forgotten, and bans replaced, because the state was at its bound.
    public var forgotten: Int { forgottenCount.load(ordering: .relaxed) }

    private func shard(for key: IPPrefix) -> ShardBox {
        shards[Int(UInt(bitPattern: key.hashValue) % UInt(Self.shardCount))]
    }

    /// What `address` is counted as (``FloodLimits/sourceKey(for:)``), without a lock.
    private func key(for address: IPAddress) -> IPPrefix {
        FloodLimits.sourceKey(for: address, ipv6PrefixLength: ipv6PrefixLength.load(ordering: .relaxed))
    }

    /// Judges one request from `address`, arriving over `transport`, at `now` (seconds
    /// since the Unix epoch), before it is parsed. Counts it against the source's budget.
    public func screen(_ address: IPAddress, transport: SIPTransport, standing: SourceStanding, at now: Double) -> FloodVerdict {
        guard standing != .upstream else { return .pass }
        let key = key(for: address)
        return shard(for: key).state.withLock { shard -> FloodVerdict in
            let limits = shard.limits
            let rate = standing == .known ? limits.knownSourceRate : limits.unknownSourceRate
            let canBan = standing == .unknown && !limits.isNeverBanned(address)
            if canBan, var ban = shard.bans[key] {
                if ban.until > now {
                    ban.dropped += 1
                    shard.bans[key] = ban
                    return .banned
                }
                shard.bans[key] = nil
            }
            guard rate > 0 else { return .pass }
            let burst = max(1, standing == .known ? limits.knownSourceBurst : limits.unknownSourceBurst)
            var entry = shard.entries[key] ?? makeEntry(in: &shard, tokens: burst, at: now)
            entry.tokens = min(burst, entry.tokens + max(0, now - entry.last) * rate)
            entry.last = now
            if entry.tokens >= 1 {
                entry.tokens -= 1
                if now - entry.lastDrop > 1 { entry.overSince = nil }
                shard.entries[key] = entry
                return .pass
            }
            // Over the limit. A stretch over it ends after a second without a drop.
            entry.offences += 1
            if entry.overSince == nil || now - entry.lastDrop > 1 { entry.overSince = now }
            entry.lastDrop = now
            if canBan, limits.banAfter > 0, let overSince = entry.overSince, now - overSince >= limits.banAfter {
                let ban = FloodBan(
                    source: key, address: address.canonical, transport: transport, reason: .requestRate, since: now,
                    duration: limits.banDuration, offences: entry.offences)
                shard.entries[key] = nil
                install(ban, in: &shard)
                return .bannedNow(ban)
            }
            shard.entries[key] = entry
            return .overLimit
        }
    }

    /// Counts a failed digest authentication (wrong password, unknown user) from
    /// `address`, and bans the source when it had more than
    /// ``FloodLimits/digestFailuresPerMinute`` in the current minute.
    ///
    /// - Returns: the ban this failure started, if any.
    public func recordDigestFailure(
        from address: IPAddress, transport: SIPTransport, standing: SourceStanding, at now: Double
    ) -> FloodBan? {
        guard standing == .unknown else { return nil }
        let key = key(for: address)
        return shard(for: key).state.withLock { shard -> FloodBan? in
            let limits = shard.limits
            guard limits.digestFailuresPerMinute > 0, !limits.isNeverBanned(address) else { return nil }
            var entry = shard.entries[key] ?? makeEntry(in: &shard, tokens: max(1, limits.unknownSourceBurst), at: now)
            if now - entry.digestWindowStart >= 60 {
                entry.digestWindowStart = now
                entry.digestFailures = 0
            }
            entry.digestFailures += 1
            guard entry.digestFailures > limits.digestFailuresPerMinute else {
                shard.entries[key] = entry
                return nil
            }
            let ban = FloodBan(
                source: key, address: address.canonical, transport: transport, reason: .digestFailures, since: now,
                duration: limits.banDuration, offences: entry.digestFailures)
            shard.entries[key] = nil
            install(ban, in: &shard)
            return ban
        }
    }

    /// Whether `address` is banned at `now` (checked when a TCP connection is accepted).
    public func isBanned(_ address: IPAddress, at now: Double) -> Bool {
        let key = key(for: address)
        return shard(for: key).state.withLock { shard in
            guard let ban = shard.bans[key], ban.until > now else { return false }
            return !shard.limits.isNeverBanned(address)
        }
    }

    /// Every ban in force at `now`, oldest first. Expired bans are forgotten.
    public func bans(at now: Double) -> [FloodBan] {
        var all: [FloodBan] = []
        for shard in shards {
            shard.state.withLock { shard in
                shard.bans = shard.bans.filter { $0.value.until > now }
                all.append(contentsOf: shard.bans.values)
            }
        }
        return all.sorted { ($0.since, $0.source) < ($1.since, $1.source) }
    }

    /// Lifts the ban that covers `address` (an address of the banned prefix) and resets
    /// its counts.
    ///
    /// - Returns: the lifted ban, or `nil` when none covered `address`.
    public func lift(_ address: IPAddress) -> FloodBan? {
        let key = key(for: address)
        return shard(for: key).state.withLock { shard in
            shard.entries[key] = nil
            return shard.bans.removeValue(forKey: key)
        }
    }

    // MARK: Bounds

    private func makeEntry(in shard: inout Shard, tokens: Double, at now: Double) -> Entry {
        if shard.entries.count >= shard.capacity { forgetSources(in: &shard, at: now) }
        return Entry(tokens: tokens, last: now)
    }

    /// Makes room in a full shard: forgets sources whose bucket has refilled and that are
    /// not in a digest-failure minute, then, if that was not enough, the least recently
    /// seen half.
    private func forgetSources(in shard: inout Shard, at now: Double) {
        let limits = shard.limits
        let before = shard.entries.count
        let refill = max(limits.unknownSourceBurst, limits.knownSourceBurst)
            / max(0.001, min(limits.unknownSourceRate > 0 ? limits.unknownSourceRate : .infinity, limits.knownSourceRate > 0 ? limits.knownSourceRate : .infinity))
        shard.entries = shard.entries.filter { _, entry in
            now - entry.last < refill || now - entry.digestWindowStart < 60
        }
        if shard.entries.count >= shard.capacity * 3 / 4 {
            let byAge = shard.entries.sorted { $0.value.last < $1.value.last }
            for (key, _) in byAge.prefix(shard.entries.count / 2) { shard.entries[key] = nil }
        }
        forgottenCount.add(before - shard.entries.count, ordering: .relaxed)
    }

    private func install(_ ban: FloodBan, in shard: inout Shard) {
        if shard.bans[ban.source] == nil, shard.bans.count >= shard.capacity,
            let soonest = shard.bans.min(by: { $0.value.until < $1.value.until })
        {
            shard.bans[soonest.key] = nil
            forgottenCount.add(1, ordering: .relaxed)
        }
        shard.bans[ban.source] = ban
    }
}
