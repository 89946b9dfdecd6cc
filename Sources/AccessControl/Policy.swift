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
        /// The digest credentials calls to the domain are checked against (credential
        /// lists mapped by the legacy or the `Auth/Calls` kind); empty when none is.
        public let callCredentials: DigestCredentialSet
        /// The digest credentials a REGISTER is checked against (`Auth/Registrations`).
        public let registrationCredentials: DigestCredentialSet
        /// Whether the domain accepts REGISTER at all (Twilio's `sip_registration`).
        public let acceptsRegistrations: Bool
        /// Whether any credential list is mapped for calls (even an empty one): the
        /// domain then requires digest authentication of calls.
        public let authenticatesCalls: Bool
    }

    /// What the policy knows of a domain besides its IP access control lists.
    public struct DomainAuthentication: Sendable {
        /// Credential lists mapped for calls (legacy and `Auth/Calls` kinds), by identifier.
        public var callCredentialLists: [String]
        /// Credential lists mapped for registrations (`Auth/Registrations`), by identifier.
        public var registrationCredentialLists: [String]
        /// Twilio's `sip_registration`: whether REGISTER is accepted.
        public var acceptsRegistrations: Bool

        /// A domain's credential mappings and registration setting.
        public init(
            callCredentialLists: [String] = [], registrationCredentialLists: [String] = [],
            acceptsRegistrations: Bool = false
        ) {
            self.callCredentialLists = callCredentialLists
            self.registrationCredentialLists = registrationCredentialLists
            self.acceptsRegistrations = acceptsRegistrations
        }
    }

    /// A number that grows with every change of the store this policy was compiled from.
    public let generation: UInt64
    private let rules: [DomainName: DomainRule]
    /// The number of prefixes across all lists (each list counted once).
    public let prefixCount: Int
    /// Every list mapped to some domain, as one trie (label: index into
    /// `knownSourceLists`); shared with the domain's trie when all domains map the same lists.
    private let knownSources: PrefixTrie
    private let knownSourceLists: [AccessList]

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
    ///   - credentialLists: every credential list, by identifier.
    ///   - authentication: for each domain, its credential mappings and whether it
    ///     accepts registrations; a domain absent here has neither.
    public init(
        generation: UInt64, lists: [AccessList], mappings: [DomainName: [String]],
        credentialLists: [DigestCredentialList] = [], authentication: [DomainName: DomainAuthentication] = [:]
    ) {
        let listsByID = Dictionary(lists.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let credentialListsByID = Dictionary(
            credentialLists.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
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
            let settings = authentication[domain] ?? DomainAuthentication()
            func credentials(_ ids: [String]) -> DigestCredentialSet {
                var seen = Set<String>()
                return DigestCredentialSet(ids.filter { seen.insert($0).inserted }.compactMap { credentialListsByID[$0] })
            }
            rules[domain] = DomainRule(
                domain: domain, lists: mapped, trie: trie,
                callCredentials: credentials(settings.callCredentialLists),
                registrationCredentials: credentials(settings.registrationCredentialLists),
                acceptsRegistrations: settings.acceptsRegistrations,
                authenticatesCalls: !settings.callCredentialLists.isEmpty)
        }
        // Sources inside some mapped list: the one shared trie when there is only one.
        if tries.count == 1, let only = rules.values.first {
            self.knownSources = only.trie
            self.knownSourceLists = only.lists
        } else {
            var seen = Set<String>()
            let mapped = mappings.values.joined().filter { seen.insert($0).inserted }.compactMap { listsByID[$0] }
            self.knownSources = PrefixTrie(
                mapped.enumerated().lazy.flatMap { index, list in list.prefixes.lazy.map { (prefix: $0, label: index) } })
            self.knownSourceLists = mapped
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

    /// The list and prefix that hold `source` when it lies inside some list mapped to any
    /// domain — a known network — or `nil`. In-dialog requests, which name no domain, are
    /// admitted by this when they carry no dialog token.
    public func knownSourceMatch(_ source: IPAddress) -> AccessMatch? {
        guard let match = knownSources.longestMatch(for: source) else { return nil }
        let list = knownSourceLists[match.label]
        return AccessMatch(listID: list.id, listName: list.name, prefix: match.prefix)
    }

    /// Decides whether `source` may call `domain` by the domain's IP access control lists
    /// alone (the IP rule; digest credentials are the admission pipeline's second rule).
    public func decide(domain: DomainName, source: IPAddress) -> AccessDecision {
        guard let rule = rules[domain] else { return .reject(.unknownDomain) }
        return rule.decide(source: source)
    }
}

extension Policy.DomainRule {
    /// The IP rule: whether `source` lies in a list mapped to the domain.
    public func decide(source: IPAddress) -> AccessDecision {
        guard !lists.isEmpty else { return .reject(.noListMapped) }
        guard let match = trie.longestMatch(for: source) else { return .reject(.sourceNotInAnyList) }
        let list = lists[match.label]
        return .admit(AccessMatch(listID: list.id, listName: list.name, prefix: match.prefix))
    }
}
