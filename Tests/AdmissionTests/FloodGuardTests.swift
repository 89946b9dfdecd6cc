import AccessControl
import Admission
import SIPCore
import Testing

/// The per-source flood limits, driven by explicit times so every step is deterministic:
/// token buckets, bans and their expiry, who is never banned, IPv6 per prefix, and the
/// memory bound.
@Suite("Flood limits")
struct FloodGuardTests {
    static let attacker = try! IPAddress("203.0.113.7")
    static let t0 = 1_800_000_000.0

    static func limits(
        rate: Double = 10, burst: Double = 5, knownRate: Double = 0, banAfter: Double = 2, banSeconds: Double = 60,
        digestFailures: Int = 3, neverBan: [String] = [], maxTracked: Int = 65_536
    ) -> FloodLimits {
        FloodLimits(
            unknownSourceRate: rate, unknownSourceBurst: burst, knownSourceRate: knownRate, knownSourceBurst: burst,
            banAfter: banAfter, banDuration: banSeconds, digestFailuresPerMinute: digestFailures,
            neverBan: neverBan.map { try! IPPrefix($0) }, maxTrackedSources: maxTracked)
    }

    /// Sends `count` requests from `address` spread evenly over `seconds` from `start`.
    static func send(
        _ count: Int, from address: IPAddress = attacker, over seconds: Double, starting start: Double, to guardian: FloodGuard,
        standing: SourceStanding = .unknown, transport: SIPTransport = .udp
    ) -> [FloodVerdict] {
        (0..<count).map { index in
            guardian.screen(
                address, transport: transport, standing: standing, at: start + seconds * Double(index) / Double(max(1, count)))
        }
    }

    @Test("a source gets its burst, then its rate; the rest is dropped unanswered")
    func bucket() {
        let guardian = FloodGuard(limits: Self.limits())
        let burst = Self.send(20, over: 0, starting: Self.t0, to: guardian)
        #expect(burst.filter { $0 == .pass }.count == 5)
        #expect(burst.filter { $0 == .overLimit }.count == 15)
        // One second later the bucket holds 5 again (10/s, capped at the burst).
        let later = Self.send(20, over: 0, starting: Self.t0 + 1, to: guardian)
        #expect(later.filter { $0 == .pass }.count == 5)
        // At its rate a source is never dropped.
        let steady = FloodGuard(limits: Self.limits())
        #expect(Self.send(100, over: 10.5, starting: Self.t0, to: steady).allSatisfy { $0 == .pass })
    }

    @Test("a source that stays over its rate is banned, dropped while banned, and released when the ban ends")
    func banAndExpiry() throws {
        let guardian = FloodGuard(limits: Self.limits(banAfter: 2, banSeconds: 60))
        // 100 requests a second for 3 seconds: over the limit from the first second on.
        let verdicts = Self.send(300, over: 3, starting: Self.t0, to: guardian, transport: .tcp)
        let banIndex = try #require(verdicts.firstIndex { if case .bannedNow = $0 { true } else { false } })
        guard case .bannedNow(let ban) = verdicts[banIndex] else { return }
        #expect(ban.reason == .requestRate && ban.transport == .tcp)
        #expect(ban.source == (try IPPrefix("203.0.113.7/32")) && ban.address == Self.attacker)
        #expect(ban.since - Self.t0 >= 2 && ban.since - Self.t0 < 2.2)
        #expect(ban.until == ban.since + 60)
        #expect(verdicts[(banIndex + 1)...].allSatisfy { $0 == .banned })
        #expect(ban.logLine.hasPrefix("flood ban: source 203.0.113.7 transport tcp reason request_rate prefix 203.0.113.7/32 seconds 60 "))
        #expect(guardian.isBanned(Self.attacker, at: Self.t0 + 30))
        let listed = try #require(guardian.bans(at: Self.t0 + 30).first)
        #expect(listed.dropped == verdicts.count - banIndex - 1)
        // After the ban the source starts again with a full bucket.
        #expect(!guardian.isBanned(Self.attacker, at: ban.until + 0.1))
        #expect(guardian.screen(Self.attacker, transport: .udp, standing: .unknown, at: ban.until + 0.1) == .pass)
        #expect(guardian.bans(at: ban.until + 0.1).isEmpty)
    }

    @Test("bursts with pauses between them are not a stretch over the limit")
    func pausesResetTheStretch() {
        let guardian = FloodGuard(limits: Self.limits(banAfter: 2))
        for second in 0..<10 {
            // 10 requests at once every 1.5 s: dropped in part, never for 2 s on end.
            let verdicts = Self.send(10, over: 0, starting: Self.t0 + Double(second) * 1.5, to: guardian)
            #expect(!verdicts.contains { $0.bansSource })
        }
    }

    @Test("the upstream is never limited; known sources only by their own rate and never banned; never_ban sources are not banned")
    func exemptions() {
        let guardian = FloodGuard(limits: Self.limits(knownRate: 0, neverBan: ["198.51.100.0/24"]))
        #expect(Self.send(1_000, over: 5, starting: Self.t0, to: guardian, standing: .upstream).allSatisfy { $0 == .pass })
        #expect(Self.send(1_000, over: 5, starting: Self.t0, to: guardian, standing: .known).allSatisfy { $0 == .pass })
        let monitored = try! IPAddress("198.51.100.9")
        let verdicts = Self.send(1_000, from: monitored, over: 5, starting: Self.t0, to: guardian)
        #expect(verdicts.contains(.overLimit) && !verdicts.contains { $0.bansSource })

        let limitedKnown = FloodGuard(limits: Self.limits(knownRate: 10))
        let known = Self.send(1_000, over: 5, starting: Self.t0, to: limitedKnown, standing: .known)
        #expect(known.contains(.overLimit) && !known.contains { $0.bansSource })
        #expect(limitedKnown.recordDigestFailure(from: Self.attacker, transport: .udp, standing: .known, at: Self.t0) == nil)
    }

    @Test("a reload that puts a banned source in never_ban lifts its ban")
    func reloadLiftsNeverBan() {
        let guardian = FloodGuard(limits: Self.limits())
        _ = Self.send(300, over: 3, starting: Self.t0, to: guardian)
        #expect(guardian.isBanned(Self.attacker, at: Self.t0 + 4))
        guardian.update(Self.limits(neverBan: ["203.0.113.0/24"]))
        #expect(!guardian.isBanned(Self.attacker, at: Self.t0 + 4))
    }

    @Test("IPv6 sources are counted and banned per /64")
    func ipv6PerPrefix() throws {
        let guardian = FloodGuard(limits: Self.limits())
        // Five addresses of one /64 share one bucket of 5.
        let verdicts = (1...10).map { index in
            guardian.screen(try! IPAddress("2001:db8:1:2::\(index)"), transport: .udp, standing: .unknown, at: Self.t0)
        }
        #expect(verdicts.filter { $0 == .pass }.count == 5)
        #expect(guardian.screen(try IPAddress("2001:db8:1:3::1"), transport: .udp, standing: .unknown, at: Self.t0) == .pass)
        _ = Self.send(300, from: try IPAddress("2001:db8:1:2::99"), over: 3, starting: Self.t0 + 1, to: guardian)
        let ban = try #require(guardian.bans(at: Self.t0 + 5).first)
        #expect(ban.source == (try IPPrefix("2001:db8:1:2::/64")))
        #expect(guardian.isBanned(try IPAddress("2001:db8:1:2:ffff::1"), at: Self.t0 + 5))
        #expect(!guardian.isBanned(try IPAddress("2001:db8:1:3::1"), at: Self.t0 + 5))
        // Lifting by any address of the prefix lifts the ban.
        #expect(guardian.lift(try IPAddress("2001:db8:1:2::1234"))?.source == ban.source)
        #expect(guardian.bans(at: Self.t0 + 5).isEmpty)
        #expect(guardian.lift(try IPAddress("2001:db8:1:2::1234")) == nil)
    }

    @Test("more digest failures a minute than allowed ban the source; fewer, spread out, do not")
    func digestFailures() throws {
        let guardian = FloodGuard(limits: Self.limits(digestFailures: 3))
        for minute in 0..<5 {
            #expect(guardian.recordDigestFailure(from: Self.attacker, transport: .tcp, standing: .unknown, at: Self.t0 + Double(minute) * 61) == nil)
            #expect(guardian.recordDigestFailure(from: Self.attacker, transport: .tcp, standing: .unknown, at: Self.t0 + Double(minute) * 61 + 1) == nil)
        }
        let guesser = try IPAddress("203.0.113.8")
        let bans = (0..<4).compactMap {
            guardian.recordDigestFailure(from: guesser, transport: .tcp, standing: .unknown, at: Self.t0 + Double($0))
        }
        #expect(bans.count == 1)
        #expect(bans.first?.reason == .digestFailures && bans.first?.offences == 4)
        #expect(guardian.screen(guesser, transport: .tcp, standing: .unknown, at: Self.t0 + 5) == .banned)
    }

    @Test("the state is bounded: past max_tracked_sources the least recently seen are forgotten, and bans stay bounded")
    func bounded() {
        // 1,024 sources at most: 16 per shard.
        let guardian = FloodGuard(limits: Self.limits(rate: 1, burst: 1, banAfter: 0.5, banSeconds: 3_600, maxTracked: 1_024))
        for index in 0..<100_000 {
            let address = IPAddress(ipv4: 0x0A00_0000 + UInt32(index))
            _ = guardian.screen(address, transport: .udp, standing: .unknown, at: Self.t0 + Double(index) * 0.000_01)
        }
        #expect(guardian.forgotten > 90_000)
        // Every shard can hold bans up to its bound, and no more.
        for index in 0..<5_000 {
            let address = IPAddress(ipv4: 0x0B00_0000 + UInt32(index))
            _ = Self.send(5, from: address, over: 1, starting: Self.t0 + 10, to: guardian)
        }
        #expect(guardian.bans(at: Self.t0 + 12).count <= 1_024)
        #expect(guardian.bans(at: Self.t0 + 12).count >= 1_000)
    }
}

/// How the pipeline feeds the flood limits: who counts as what, and which decisions count
/// as digest failures.
@Suite("Flood limits in the pipeline")
struct FloodPipelineTests {
    @Test("the upstream's address on any port is the upstream; list members are known; the rest unknown")
    func standing() {
        let pipeline = Fixtures.pipeline
        #expect(pipeline.floodStanding(of: Fixtures.fromUpstream, policy: Fixtures.policy) == .upstream)
        #expect(pipeline.floodStanding(of: Fixtures.udp("127.0.0.1", 40_000), policy: Fixtures.policy) == .upstream)
        #expect(pipeline.floodStanding(of: Fixtures.udp("192.0.2.10", 5060), policy: Fixtures.policy) == .known)
        #expect(pipeline.floodStanding(of: Fixtures.refused, policy: Fixtures.policy) == .unknown)
    }

    @Test("wrong passwords and unknown users count towards a ban; challenges and other refusals do not")
    func digestFailuresCount() throws {
        let guardian = FloodGuard(limits: FloodGuardTests.limits(digestFailures: 2))
        let pipeline = DigestAdmissionTests.pipeline()
        let challenge = DigestAdmissionTests.decide(DigestAdmissionTests.request())
        let nonce = try #require(try DigestAdmissionTests.challenges(in: challenge).first?.nonce)
        func record(_ decision: AdmissionDecision, at offset: Double) -> FloodBan? {
            pipeline.recordOutcome(
                decision, from: Fixtures.refused, policy: DigestAdmissionTests.policy, limits: guardian, at: FloodGuardTests.t0 + offset)
        }
        #expect(!challenge.isDigestFailure)
        #expect(record(challenge, at: 0) == nil)
        let wrong = DigestAdmissionTests.decide(
            DigestAdmissionTests.request(authorization: [DigestAdmissionTests.answer(nonce: nonce, password: "guess-1")]))
        let unknown = DigestAdmissionTests.decide(
            DigestAdmissionTests.request(authorization: [DigestAdmissionTests.answer(nonce: nonce, username: "admin")]))
        #expect(wrong.isDigestFailure && unknown.isDigestFailure)
        #expect(record(wrong, at: 1) == nil)
        #expect(record(unknown, at: 2) == nil)
        let ban = try #require(record(wrong, at: 3))
        #expect(ban.reason == .digestFailures && ban.transport == .udp && ban.address == Fixtures.refused.address)
    }
}
