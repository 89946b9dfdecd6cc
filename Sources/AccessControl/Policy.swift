/// The compiled admission policy: for each SIP domain, the union of the IP access
/// control lists mapped to it, as one ``PrefixTrie``.
///
/// A policy is immutable. The daemon holds the current one and replaces it whole when
/// the store changes, so the SIP path always reads one complete, consistent snapshot,
/// identified by its ``generation``.
public struct Policy: Sendable {
    /// The domain-level rule: which lists are mapped, compiled for lookup.
    public struct DomainRule: Sendable {
        /// The domain this rule is for.
        public let domain: DomainName
        /// The lists mapped to the domain, by either kind of mapping, without repeats.
        public let lists: [AccessList]
        /// The union of the lists' prefixes; each prefix's label indexes ``lists``.
        public let trie: PrefixTrie
    }

    /// A number that grows with every change of the store this policy was compiled from.
    public let generation: UInt64
    private let rules: [DomainName: DomainRule]
    /// The number of prefixes across all lists (each list counted once).
    public let prefixCount: Int

    /// A policy that knows no domain and so admits nothing.
    public static let empty = Policy(generation: 0, lists: [], mappings: [:])

    /// Compiles a policy.
    ///
    /// - Parameters:
    ///   - generation: the store generation the records were read at.
    ///   - lists: every access list, by identifier.
    ///   - mappings: for each domain, the identifiers of the lists mapped to it (both
    ///     mapping kinds together). Unknown identifiers and repeats are ignored; a domain
    ///     mapped to no list is known but admits nothing.
    public init(generation: UInt64, lists: [AccessList], mappings: [DomainName: [String]]) {
        let listsByID = Dictionary(lists.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        // Domains mapped to the same set of lists share one compiled trie.
        var tries: [[String]: PrefixTrie] = [:]
        var rules: [DomainName: DomainRule] = [:]
        for (domain, listIDs) in mappings {
            var seen = Set<String>()
            let mapped = listIDs.filter { seen.insert($0).inserted }.compactMap { listsByID[$0] }
            let key = mapped.map(\.id)
            let trie =
                tries[key]
                ?? PrefixTrie(
                    mapped.enumerated().lazy.flatMap { index, list in
                        list.prefixes.lazy.map { (prefix: $0, label: index) }
                    }
                )
            tries[key] = trie
            rules[domain] = DomainRule(domain: domain, lists: mapped, trie: trie)
        }
        self.generation = generation
        self.rules = rules
        self.prefixCount = lists.reduce(0) { $0 + $1.prefixes.count }
    }

    /// The number of domains the policy knows.
    public var domainCount: Int { rules.count }

    /// The domains the policy knows, in order.
    public var domains: [DomainName] { rules.keys.sorted() }

    /// The rule for `domain`, or `nil` when the domain is unknown.
    public func rule(for domain: DomainName) -> DomainRule? {
        rules[domain]
    }

    /// Decides whether `source` may call `domain`.
    public func decide(domain: DomainName, source: IPAddress) -> AccessDecision {
        guard let rule = rules[domain] else { return .reject(.unknownDomain) }
        guard !rule.lists.isEmpty else { return .reject(.noListMapped) }
        guard let match = rule.trie.longestMatch(for: source) else { return .reject(.sourceNotInAnyList) }
        let list = rule.lists[match.label]
        return .admit(AccessMatch(listID: list.id, listName: list.name, prefix: match.prefix))
    }
}
