import TestSupport
import Testing

@testable import AccessControl

@Suite("PrefixTrie")
struct PrefixTrieTests {
    /// The obvious answer, by scanning every prefix: the longest covering prefix, and
    /// among identical prefixes the lowest label.
    static func reference(_ entries: [(prefix: IPPrefix, label: Int)], _ address: IPAddress) -> PrefixTrie.Match? {
        var best: (prefix: IPPrefix, label: Int)?
        for entry in entries where entry.prefix.contains(address) {
            let prefix = entry.prefix.canonical
            if let current = best {
                if prefix.length > current.prefix.length || (prefix.length == current.prefix.length && entry.label < current.label) {
                    best = (prefix, entry.label)
                }
            } else {
                best = (prefix, entry.label)
            }
        }
        return best.map { PrefixTrie.Match(prefix: $0.prefix, label: $0.label) }
    }

    /// Random prefixes that nest and repeat: each new prefix is, with some chance, carved
    /// out of an earlier one or a copy of it.
    static func randomEntries(count: Int, family: IPAddress.Family, using random: inout SplitMix64) -> [(prefix: IPPrefix, label: Int)] {
        var entries: [(prefix: IPPrefix, label: Int)] = []
        let width = family.bitWidth
        for index in 0..<count {
            let label = Int(random.next() % 5)
            let roll = random.next() % 10
            if roll < 2, let earlier = entries.randomElement(using: &random) {
                entries.append((earlier.prefix, label))  // duplicate, maybe another label
                continue
            }
            let length: Int
            switch index {
            case 0: length = 0
            case 1: length = width
            default: length = Int(random.next() % UInt64(width + 1))
            }
            var address = randomAddress(family: family, using: &random)
            if roll < 6, let earlier = entries.randomElement(using: &random), earlier.prefix.family == family {
                // Nest: keep the earlier prefix's bits, randomise the rest.
                address = merge(earlier.prefix, address)
            }
            entries.append(((try? IPPrefix(address: address, length: length)) ?? IPPrefix(host: address), label))
        }
        return entries
    }

    static func randomAddress(family: IPAddress.Family, using random: inout SplitMix64) -> IPAddress {
        switch family {
        case .ipv4: IPAddress(ipv4: UInt32(truncatingIfNeeded: random.next()))
        case .ipv6: IPAddress(ipv6: UInt128(random.next()) << 64 | UInt128(random.next()))
        }
    }

    static func merge(_ prefix: IPPrefix, _ address: IPAddress) -> IPAddress {
        switch (prefix.network.storage, address.storage) {
        case (.v4(let net), .v4(let value)):
            let mask = IPPrefix.mask(prefix.length, of: UInt32.self)
            return IPAddress(ipv4: net | (value & ~mask))
        case (.v6(let net), .v6(let value)):
            let mask = IPPrefix.mask(prefix.length, of: UInt128.self)
            return IPAddress(ipv6: net | (value & ~mask))
        default:
            return address
        }
    }

    /// Addresses worth probing: random ones, and each prefix's first and last address
    /// and their neighbours, where off-by-one errors live.
    static func probes(for entries: [(prefix: IPPrefix, label: Int)], using random: inout SplitMix64) -> [IPAddress] {
        var probes: [IPAddress] = []
        for (prefix, _) in entries {
            switch prefix.network.storage {
            case .v4(let net):
                let last = net | ~IPPrefix.mask(prefix.length, of: UInt32.self)
                probes += [net, last, net &- 1, last &+ 1].map { IPAddress(ipv4: $0) }
            case .v6(let net):
                let last = net | ~IPPrefix.mask(prefix.length, of: UInt128.self)
                probes += [net, last, net &- 1, last &+ 1].map { IPAddress(ipv6: $0) }
            }
        }
        for _ in 0..<500 {
            probes.append(randomAddress(family: .ipv4, using: &random))
            probes.append(randomAddress(family: .ipv6, using: &random))
        }
        return probes
    }

    @Test("agrees with a linear scan on random nested and duplicate prefixes", arguments: [1, 2, 3, 10, 100, 600])
    func agreesWithReference(count: Int) {
        var random = SplitMix64(seed: UInt64(count) * 7919)
        let entries =
            Self.randomEntries(count: count, family: .ipv4, using: &random)
            + Self.randomEntries(count: count, family: .ipv6, using: &random)
        let trie = PrefixTrie(entries)
        #expect(trie.count == Set(entries.map(\.prefix.canonical)).count)
        for address in Self.probes(for: entries, using: &random) {
            let expected = Self.reference(entries, address)
            #expect(trie.longestMatch(for: address) == expected, "address \(address)")
            #expect(trie.covers(address) == (expected != nil))
        }
    }

    /// How an update renumbers labels: keep them, drop one, or move them in order or out of it.
    enum Relabelling: CaseIterable, Sendable {
        case none, dropOne, shiftInOrder, reverse

        /// The map for labels `0..<5` (what ``randomEntries`` uses).
        var map: [Int?]? {
            switch self {
            case .none: nil
            case .dropOne: [0, nil, 1, 2, 3]
            case .shiftInOrder: [2, 3, 5, 7, 8]
            case .reverse: [4, 3, 2, 1, 0]
            }
        }
    }

    @Test(
        "an updated trie is the trie compiled from scratch from the same prefixes",
        arguments: [1, 10, 300], Relabelling.allCases)
    func updateAgreesWithCompile(count: Int, relabelling: Relabelling) {
        var random = SplitMix64(seed: UInt64(count) * 31 + UInt64(Relabelling.allCases.firstIndex(of: relabelling) ?? 0))
        let before =
            Self.randomEntries(count: count, family: .ipv4, using: &random)
            + Self.randomEntries(count: count, family: .ipv6, using: &random)
        let trie = PrefixTrie(before)
        // After renumbering, remove about a third (and one pair that was never there), add new ones.
        var after = before.compactMap { entry -> (prefix: IPPrefix, label: Int)? in
            guard let map = relabelling.map else { return entry }
            return map[entry.label].map { (entry.prefix, $0) }
        }
        var removing: [(prefix: IPPrefix, label: Int)] = []
        for index in after.indices.reversed() where random.next() % 3 == 0 {
            removing.append(after.remove(at: index))
        }
        let absent = (prefix: IPPrefix(host: IPAddress(ipv4: 0x0A00_0001)), label: 4)
        if !after.contains(where: { $0.prefix == absent.prefix && $0.label == absent.label }) {
            removing.append(absent)  // ignored: it is not there
        }
        let adding =
            Self.randomEntries(count: count / 2 + 1, family: .ipv4, using: &random)
            + Self.randomEntries(count: count / 2 + 1, family: .ipv6, using: &random)
        after += adding

        let updated = trie.updated(relabelling: relabelling.map, removing: removing, adding: adding)
        let compiled = PrefixTrie(after)
        #expect(updated.count == compiled.count)
        for address in Self.probes(for: before + adding, using: &random) {
            #expect(updated.longestMatch(for: address) == compiled.longestMatch(for: address), "address \(address)")
        }
        // And again from the updated one: updates chain.
        let again = updated.updated(removing: adding, adding: [])
        let expected = PrefixTrie(Array(after.dropLast(adding.count)))
        for address in Self.probes(for: before, using: &random) {
            #expect(again.longestMatch(for: address) == expected.longestMatch(for: address), "address \(address)")
        }
    }

    @Test("an update that changes nothing leaves the same answers")
    func emptyUpdate() throws {
        let trie = PrefixTrie([(try IPPrefix("192.0.2.0/24"), 0), (try IPPrefix("192.0.2.0/24"), 1)])
        let updated = trie.updated(removing: [], adding: [])
        #expect(updated.longestMatch(for: try IPAddress("192.0.2.1")) == trie.longestMatch(for: try IPAddress("192.0.2.1")))
        // Removing the lower label's copy leaves the other list's.
        let removed = trie.updated(removing: [(try IPPrefix("192.0.2.0/24"), 0)], adding: [])
        #expect(removed.longestMatch(for: try IPAddress("192.0.2.1"))?.label == 1)
        #expect(removed.count == 1)
    }

    @Test("an empty trie covers nothing")
    func empty() throws {
        let trie = PrefixTrie(prefixes: [])
        #expect(trie.count == 0)
        #expect(trie.longestMatch(for: try IPAddress("0.0.0.0")) == nil)
        #expect(trie.longestMatch(for: try IPAddress("::")) == nil)
    }

    @Test("default routes and host routes at both ends of the address space")
    func extremes() throws {
        let trie = PrefixTrie([
            (try IPPrefix("0.0.0.0/0"), 0), (try IPPrefix("255.255.255.255/32"), 1), (try IPPrefix("0.0.0.0/32"), 2),
            (try IPPrefix("::/0"), 3), (try IPPrefix("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"), 4),
        ])
        #expect(trie.longestMatch(for: try IPAddress("255.255.255.255"))?.label == 1)
        #expect(trie.longestMatch(for: try IPAddress("255.255.255.254"))?.label == 0)
        #expect(trie.longestMatch(for: try IPAddress("0.0.0.0"))?.label == 2)
        #expect(trie.longestMatch(for: try IPAddress("0.0.0.1"))?.prefix == (try IPPrefix("0.0.0.0/0")))
        #expect(trie.longestMatch(for: try IPAddress("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))?.label == 4)
        #expect(trie.longestMatch(for: try IPAddress("2001:db8::1"))?.label == 3)
    }

    @Test("IPv4-mapped sources and prefixes meet IPv4 ones")
    func mapped() throws {
        let trie = PrefixTrie([(try IPPrefix("192.0.2.0/24"), 0), (try IPPrefix("::ffff:198.51.100.0/120"), 1)])
        #expect(trie.longestMatch(for: try IPAddress("::ffff:192.0.2.1"))?.label == 0)
        #expect(trie.longestMatch(for: try IPAddress("198.51.100.7"))?.prefix == (try IPPrefix("198.51.100.0/24")))
        #expect(trie.count == 2)
    }

    @Test("a large trie stays compact")
    func footprint() {
        var random = SplitMix64(seed: 99)
        let prefixes = (0..<50_000).map { _ in
            (try? IPPrefix(address: IPAddress(ipv4: UInt32(truncatingIfNeeded: random.next())), length: 16 + Int(random.next() % 17)))
                ?? IPPrefix(host: IPAddress(ipv4: 0))
        }
        let trie = PrefixTrie(prefixes: prefixes)
        // About 16 bytes of intervals and root per prefix, plus the 12-byte sorted entry
        // kept for updates.
        #expect(trie.memoryFootprint / trie.count <= 36)
    }
}
