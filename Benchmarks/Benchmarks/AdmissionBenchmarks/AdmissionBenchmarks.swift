import AccessControl
import Admission
import Benchmark
import COSIPBaseline
import SIPCore

// Every figure is reported beside a baseline measured in the same run:
// - trie lookups beside `Set.contains` on the same number of addresses (a hash lookup);
// - the trie build beside sorting the same number of integers;
// - the admission pipeline beside libosip2 parsing the same INVITE in C (the floor of
//   any libosip2-based filter).

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal],
        warmupIterations: 3,
        maxDuration: .seconds(4),
        maxIterations: 100_000
    )
    prefixTrieBenchmarks()
    pipelineBenchmarks()
}

// MARK: Prefix trie

let bytesPerPrefix = BenchmarkMetric.custom("bytes per prefix", polarity: .prefersSmaller, useScalingFactor: false)

/// A seeded generator so that every run measures the same prefixes.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `count` random prefixes and 64 Ki probe addresses: half inside a random prefix, half
/// uniformly random.
///
/// IPv4 prefix lengths are uniform in 8…32. IPv6 prefix lengths are uniform in 32…64,
/// with one in eight a /128 host — the shapes of real access lists.
struct TrieWorkload: Sendable {
    let entries: [(prefix: IPPrefix, label: Int)]
    let probes: [IPAddress]

    init(count: Int, family: IPAddress.Family, seed: UInt64) {
        var random = SplitMix64(state: seed)
        var entries: [(prefix: IPPrefix, label: Int)] = []
        entries.reserveCapacity(count)
        for index in 0..<count {
            let prefix: IPPrefix
            switch family {
            case .ipv4:
                let address = IPAddress(ipv4: UInt32(truncatingIfNeeded: random.next()))
                prefix = (try? IPPrefix(address: address, length: 8 + Int(random.next() % 25))) ?? IPPrefix(host: address)
            case .ipv6:
                let address = IPAddress(ipv6: UInt128(random.next()) << 64 | UInt128(random.next()))
                let length = random.next() % 8 == 0 ? 128 : 32 + Int(random.next() % 33)
                prefix = (try? IPPrefix(address: address, length: length)) ?? IPPrefix(host: address)
            }
            entries.append((prefix, index % 16))
        }
        var probes: [IPAddress] = []
        probes.reserveCapacity(1 << 16)
        for index in 0..<(1 << 16) {
            let random64 = random.next()
            switch family {
            case .ipv4:
                var value = UInt32(truncatingIfNeeded: random64)
                if index % 2 == 0, let network = entries[Int(random.next() % UInt64(count))].prefix.network.ipv4Value {
                    value = network | (value & 0xFF)
                }
                probes.append(IPAddress(ipv4: value))
            case .ipv6:
                var value = UInt128(random64) << 64 | UInt128(random.next())
                if index % 2 == 0, let network = entries[Int(random.next() % UInt64(count))].prefix.network.ipv6Value {
                    value = network | (value & 0xFFFF)
                }
                probes.append(IPAddress(ipv6: value))
            }
        }
        self.entries = entries
        self.probes = probes
    }
}

struct CompiledTrie: Sendable {
    let trie: PrefixTrie
    let probes: [IPAddress]
}

struct HashedAddresses: Sendable {
    let set: Set<IPAddress>
    let probes: [IPAddress]
}

func prefixTrieBenchmarks() {
    let lookup = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal, bytesPerPrefix],
        scalingFactor: .kilo,
        maxDuration: .seconds(4)
    )
    let sizes: [(count: Int, family: IPAddress.Family)] = [
        (1_000, .ipv4), (100_000, .ipv4), (1_000_000, .ipv4), (1_000, .ipv6), (1_000_000, .ipv6),
    ]
    for (count, family) in sizes {
        let name = "\(family == .ipv4 ? "IPv4" : "IPv6"), \(count) prefixes"
        Benchmark("PrefixTrie lookup, \(name)", configuration: lookup) { (benchmark: Benchmark, compiled: CompiledTrie) in
            benchmark.measurement(bytesPerPrefix, compiled.trie.memoryFootprint / compiled.trie.count)
            let probes = compiled.probes
            var index = Int.random(in: 0..<probes.count)
            for _ in benchmark.scaledIterations {
                blackHole(compiled.trie.longestMatch(for: probes[index & 0xFFFF]))
                index &+= 1
            }
        } setup: {
            let workload = TrieWorkload(count: count, family: family, seed: UInt64(count))
            return CompiledTrie(trie: PrefixTrie(workload.entries), probes: workload.probes)
        }

        Benchmark("Baseline: Set.contains, \(name.replacingOccurrences(of: "prefixes", with: "addresses"))", configuration: lookup) {
            (benchmark: Benchmark, hashed: HashedAddresses) in
            let probes = hashed.probes
            var index = Int.random(in: 0..<probes.count)
            for _ in benchmark.scaledIterations {
                blackHole(hashed.set.contains(probes[index & 0xFFFF]))
                index &+= 1
            }
        } setup: {
            let workload = TrieWorkload(count: count, family: family, seed: UInt64(count))
            return HashedAddresses(set: Set(workload.entries.map(\.prefix.network)), probes: workload.probes)
        }
    }

    let build = Benchmark.Configuration(metrics: [.wallClock, .peakMemoryResident], maxDuration: .seconds(10), maxIterations: 10)
    Benchmark("PrefixTrie build, IPv4, 1000000 prefixes", configuration: build) { (benchmark: Benchmark, workload: TrieWorkload) in
        blackHole(PrefixTrie(workload.entries))
    } setup: {
        TrieWorkload(count: 1_000_000, family: .ipv4, seed: 1_000_000)
    }
    Benchmark("Baseline: sort 1000000 UInt32", configuration: build) { (benchmark: Benchmark, values: [UInt32]) in
        var copy = values
        copy.sort()
        blackHole(copy)
    } setup: {
        var random = SplitMix64(state: 7)
        return (0..<1_000_000).map { _ in UInt32(truncatingIfNeeded: random.next()) }
    }
}

// MARK: Admission pipeline

/// A typical trunk INVITE with SDP: 900 bytes.
let typicalInvite: [UInt8] = {
    var text = """
        INVITE sip:+14155550100@trunk.example.com;user=phone SIP/2.0
        Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---8d4d6b2a9f3c1e77;rport
        Max-Forwards: 70
        Contact: <sip:+12125550123@192.0.2.10:5060;transport=udp>
        To: <sip:+14155550100@trunk.example.com;user=phone>
        From: "Carrier Caller" <sip:+12125550123@carrier.example.net;user=phone>;tag=a73kszlfl
        Call-ID: 4f1c2d3e5a6b7c8d9e0f1a2b3c4d5e6f@192.0.2.10
        CSeq: 1 INVITE
        Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, PRACK, REFER, NOTIFY
        Supported: 100rel, timer, replaces
        Session-Expires: 1800;refresher=uac
        Min-SE: 90
        P-Asserted-Identity: <sip:+12125550123@carrier.example.net;user=phone>
        User-Agent: ExampleSBC/4.2
        Content-Type: application/sdp
        Content-Length: 000

        v=0
        o=- 3897154421 3897154421 IN IP4 192.0.2.10
        s=-
        c=IN IP4 192.0.2.10
        t=0 0
        m=audio 40000 RTP/AVP 0 8 18 101
        a=rtpmap:0 PCMU/8000
        a=rtpmap:8 PCMA/8000
        a=rtpmap:18 G729/8000
        a=fmtp:18 annexb=no
        a=rtpmap:101 telephone-event/8000
        a=fmtp:101 0-16
        a=ptime:20
        a=maxptime:40
        a=sendrecv

        """
    text = text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n")
    let body = text.components(separatedBy: "\r\n\r\n")[1]
    text = text.replacingOccurrences(of: "Content-Length: 000", with: "Content-Length: \(body.utf8.count)")
    return Array(text.utf8)
}()

struct PipelineWorkload: Sendable {
    let pipeline: AdmissionPipeline
    let policy: Policy
    /// The ACK the caller sends for sipfence's 403 to `typicalInvite`.
    let ackOf403: [UInt8]
}

/// The clock the pipeline is run at (seconds since the Unix epoch): fixed, as in replay.
let benchmarkNow: UInt64 = 1_800_000_000

/// The ACK a caller sends for a non-2xx final response to `typicalInvite` (RFC 3261
/// §17.1.1.3): the INVITE's Request-URI, top Via, From, Call-ID and CSeq number, and the
/// response's To, which carries sipfence's tag.
func acknowledgement(of response: [UInt8]) -> [UInt8] {
    let text = String(decoding: response, as: UTF8.self)
    let to = text.components(separatedBy: "\r\n").first { $0.hasPrefix("To: ") } ?? "To: <sip:+14155550100@trunk.example.com;user=phone>"
    let lines = [
        "ACK sip:+14155550100@trunk.example.com;user=phone SIP/2.0",
        "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---8d4d6b2a9f3c1e77;rport",
        "Max-Forwards: 70",
        to,
        "From: \"Carrier Caller\" <sip:+12125550123@carrier.example.net;user=phone>;tag=a73kszlfl",
        "Call-ID: 4f1c2d3e5a6b7c8d9e0f1a2b3c4d5e6f@192.0.2.10",
        "CSeq: 1 ACK",
        "Content-Length: 0",
    ]
    return Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
}

let refused = SIPSource(transport: .udp, address: IPAddress(ipv4: 0xCB00_7109), port: 5060)  // 203.0.113.9
let admitted = SIPSource(transport: .udp, address: IPAddress(ipv4: 0xC000_020A), port: 5060)  // 192.0.2.10

func pipelineBenchmarks() {
    let setup: @Sendable () async throws -> PipelineWorkload = {
        // 1,000 domains, each mapped to one of 100 lists of 50 prefixes.
        var random = SplitMix64(state: 42)
        let lists = (0..<100).map { index in
            AccessList(
                id: "AL\(index)",
                name: "list \(index)",
                prefixes: (0..<50).map { _ in
                    (try? IPPrefix(address: IPAddress(ipv4: UInt32(truncatingIfNeeded: random.next())), length: 24)) ?? IPPrefix(host: IPAddress(ipv4: 0))
                } + [(try? IPPrefix("192.0.2.0/24")) ?? IPPrefix(host: IPAddress(ipv4: 0))]
            )
        }
        var mappings: [DomainName: [String]] = [:]
        for index in 0..<1_000 { mappings[DomainName(normalizing: "d\(index).example.com")] = ["AL\(index % 100)"] }
        mappings[DomainName(normalizing: "trunk.example.com")] = ["AL7", "AL8"]
        let settings = AdmissionSettings(
            upstream: try SIPEndpoint("udp:127.0.0.1:5070"),
            interfaces: [SIPInterface(endpoint: try SIPEndpoint("udp:127.0.0.1:5060"), advertisedHost: "127.0.0.1", side: .both)],
            secret: .random()
        )
        let pipeline = AdmissionPipeline(settings: settings)
        let policy = Policy(generation: 1, lists: lists, mappings: mappings)
        let forbidden = pipeline.decide(typicalInvite, from: refused, policy: policy, now: benchmarkNow).outbound?.bytes ?? []
        return PipelineWorkload(pipeline: pipeline, policy: policy, ackOf403: acknowledgement(of: forbidden))
    }
    let perMessage = Benchmark.Configuration(metrics: [.wallClock, .mallocCountTotal], maxDuration: .seconds(4))

    Benchmark("Admission: parse + decide + 403, \(typicalInvite.count)-byte INVITE", configuration: perMessage) { (benchmark: Benchmark, workload: PipelineWorkload) in
        for _ in benchmark.scaledIterations {
            blackHole(workload.pipeline.decide(typicalInvite, from: refused, policy: workload.policy, now: benchmarkNow))
        }
    } setup: {
        try await setup()
    }
    Benchmark("Admission: parse + decide + absorb, the ACK of that 403", configuration: perMessage) { (benchmark: Benchmark, workload: PipelineWorkload) in
        precondition(workload.pipeline.decide(workload.ackOf403, from: refused, policy: workload.policy, now: benchmarkNow).verdict == .absorbed)
        for _ in benchmark.scaledIterations {
            blackHole(workload.pipeline.decide(workload.ackOf403, from: refused, policy: workload.policy, now: benchmarkNow))
        }
    } setup: {
        try await setup()
    }
    Benchmark("Admission: parse + decide + forward, \(typicalInvite.count)-byte INVITE", configuration: perMessage) { (benchmark: Benchmark, workload: PipelineWorkload) in
        for _ in benchmark.scaledIterations {
            blackHole(workload.pipeline.decide(typicalInvite, from: admitted, policy: workload.policy, now: benchmarkNow))
        }
    } setup: {
        try await setup()
    }
    Benchmark("SIPMessage parse, \(typicalInvite.count)-byte INVITE", configuration: perMessage) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? SIPMessage(parsing: typicalInvite, framing: .datagram))
        }
    }
    Benchmark("Baseline: libosip2 osip_message_parse in C, \(typicalInvite.count)-byte INVITE", configuration: perMessage) { benchmark in
        baseline_osip_init()
        typicalInvite.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { characters in
                for _ in benchmark.scaledIterations {
                    blackHole(baseline_osip_parse(characters.baseAddress, characters.count))
                }
            }
        }
    }
}
