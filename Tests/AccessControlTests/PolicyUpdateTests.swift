import TestSupport
import Testing

@testable import AccessControl

/// A policy changed in place (``Policy/init(generation:lists:mappings:credentialLists:authentication:updating:listChanges:)``)
/// must answer exactly as the policy compiled from scratch from the same records.
@Suite("Policy updates")
struct PolicyUpdateTests {
    /// The records a policy is compiled from, changed at random the way the API can.
    struct Records {
        var lists: [String: (name: String, prefixes: Set<IPPrefix>)] = [:]
        var mappings: [DomainName: [String]] = [:]

        var accessLists: [AccessList] {
            lists.keys.sorted().map { AccessList(id: $0, name: lists[$0]!.name, prefixes: Array(lists[$0]!.prefixes)) }
        }

        func compiled(generation: UInt64) -> Policy {
            Policy(generation: generation, lists: accessLists, mappings: mappings)
        }

        /// One random change; returns the net change of each list's prefixes.
        mutating func change(using random: inout SplitMix64) -> [String: AccessListChange] {
            var changes: [String: AccessListChange] = [:]
            let listIDs = lists.keys.sorted()
            switch random.next() % 10 {
            case 0..<4:  // add prefixes to a list, some nested in what is there
                guard let id = listIDs.randomElement(using: &random) else { return [:] }
                for _ in 0..<(1 + random.next() % 4) {
                    let prefix = Self.randomPrefix(near: lists[id]!.prefixes.randomElement(using: &random), using: &random)
                    if lists[id]!.prefixes.insert(prefix).inserted { changes[id, default: .init()].added.append(prefix) }
                }
            case 4..<7:  // remove prefixes from a list
                guard let id = listIDs.randomElement(using: &random) else { return [:] }
                for _ in 0..<(1 + random.next() % 3) {
                    guard let prefix = lists[id]!.prefixes.randomElement(using: &random) else { break }
                    lists[id]!.prefixes.remove(prefix)
                    changes[id, default: .init()].removed.append(prefix)
                }
            case 7:  // map or unmap a list
                guard let domain = mappings.keys.sorted().randomElement(using: &random),
                    let id = listIDs.randomElement(using: &random)
                else { return [:] }
                if let index = mappings[domain]!.firstIndex(of: id) {
                    mappings[domain]!.remove(at: index)
                } else {
                    mappings[domain]!.append(id)
                    mappings[domain]!.sort()
                }
            case 8:  // a new list, or a list deleted (with its mappings)
                if random.next() % 2 == 0 || lists.count < 2 {
                    let id = "AL\(lists.count + Int(random.next() % 1000))"
                    guard lists[id] == nil else { return [:] }
                    lists[id] = ("list \(id)", Set((0..<3).map { _ in Self.randomPrefix(near: nil, using: &random) }))
                } else if let id = listIDs.randomElement(using: &random) {
                    lists[id] = nil
                    for domain in mappings.keys { mappings[domain]!.removeAll { $0 == id } }
                }
            default:  // a domain created or deleted, or a list renamed
                if random.next() % 3 == 0, let id = listIDs.randomElement(using: &random) {
                    lists[id]!.name += "'"
                } else if random.next() % 2 == 0 {
                    let domain = DomainName(normalizing: "d\(random.next() % 20).example")
                    mappings[domain] = mappings[domain] ?? listIDs.filter { _ in random.next() % 2 == 0 }
                } else if let domain = mappings.keys.sorted().randomElement(using: &random) {
                    mappings[domain] = nil
                }
            }
            return changes
        }

        static func randomPrefix(near: IPPrefix?, using random: inout SplitMix64) -> IPPrefix {
            let family: IPAddress.Family = near?.family ?? (random.next() % 4 == 0 ? .ipv6 : .ipv4)
            var address = PrefixTrieTests.randomAddress(family: family, using: &random)
            if let near { address = PrefixTrieTests.merge(near, address) }
            let length = max(near?.length ?? 0, Int(random.next() % UInt64(family.bitWidth + 1)))
            return (try? IPPrefix(address: address, length: length)) ?? IPPrefix(host: address)
        }
    }

    @Test("a policy updated change by change answers as the policy compiled from scratch", arguments: [1, 2, 3, 4])
    func updatesAgreeWithCompile(seed: UInt64) {
        var random = SplitMix64(seed: seed * 104_729)
        var records = Records()
        for index in 0..<4 {
            records.lists["AL\(index)"] = (
                "list \(index)", Set((0..<30).map { _ in Records.randomPrefix(near: nil, using: &random) })
            )
        }
        for index in 0..<5 {
            records.mappings[DomainName(normalizing: "d\(index).example")] = records.lists.keys.sorted().filter { _ in
                random.next() % 2 == 0
            }
        }
        var policy = records.compiled(generation: 1)
        for step in 0..<80 {
            let changes = records.change(using: &random)
            let generation = UInt64(step + 2)
            policy = Policy(
                generation: generation, lists: records.accessLists, mappings: records.mappings,
                updating: policy, listChanges: changes)
            let expected = records.compiled(generation: generation)
            Self.expectSameAnswers(policy, expected, records: records, using: &random, step: step)
        }
    }

    @Test("a list of many prefixes changed by one keeps the others")
    func largeListSingleChange() throws {
        var random = SplitMix64(seed: 5)
        let probeAddress = try IPAddress("127.0.0.2")
        let prefixes = (0..<20_000).map { _ in Records.randomPrefix(near: nil, using: &random) }.filter {
            !$0.contains(probeAddress)
        }
        let domain = DomainName(normalizing: "bulk.example")
        let before = Policy(
            generation: 1, lists: [AccessList(id: "AL1", name: "bulk", prefixes: prefixes)], mappings: [domain: ["AL1"]])
        let probe = try IPPrefix("127.0.0.2")
        let after = Policy(
            generation: 2, lists: [AccessList(id: "AL1", name: "bulk", prefixes: prefixes + [probe])],
            mappings: [domain: ["AL1"]], updating: before, listChanges: ["AL1": AccessListChange(added: [probe])])
        #expect(before.decide(domain: domain, source: try IPAddress("127.0.0.2")) == .reject(.sourceNotInAnyList))
        #expect(after.decide(domain: domain, source: try IPAddress("127.0.0.2")).isAdmitted)
        #expect(after.knownSourceMatch(try IPAddress("127.0.0.2"))?.prefix == probe)
        for prefix in prefixes.prefix(500) {
            #expect(after.decide(domain: domain, source: prefix.network) == before.decide(domain: domain, source: prefix.network))
        }
    }

    static func expectSameAnswers(
        _ policy: Policy, _ expected: Policy, records: Records, using random: inout SplitMix64, step: Int
    ) {
        #expect(policy.generation == expected.generation)
        #expect(policy.domains == expected.domains, "step \(step)")
        #expect(policy.prefixCount == expected.prefixCount)
        let labelled = records.lists.values.flatMap { list in list.prefixes.map { (prefix: $0, label: 0) } }
        let probes = PrefixTrieTests.probes(for: labelled, using: &random).prefix(600)
        let domains = expected.domains + [DomainName(normalizing: "unknown.example")]
        for address in probes {
            for domain in domains {
                let answer = policy.decide(domain: domain, source: address)
                let reference = expected.decide(domain: domain, source: address)
                #expect(answer == reference, "step \(step): \(domain) from \(address)")
            }
            #expect(policy.knownSourceMatch(address) == expected.knownSourceMatch(address), "step \(step): \(address)")
        }
        for domain in expected.domains {
            #expect(policy.rule(for: domain)?.lists == expected.rule(for: domain)?.lists)
        }
    }
}
