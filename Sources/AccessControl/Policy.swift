/// The compiled admission policy: for each SIP domain, the union of the IP access
/// control lists mapped to it, as one ``PrefixTrie``.
///
/// A policy is immutable. The daemon holds the current one and replaces it whole when
/// the store changes, so the SIP path always reads one complete, consistent snapshot,
/// identified by its ``generation``.
public struct Policy: Sendable {
    /// The domain-level rule: which lists are mapped, compiled for lookup.
    ///
    /// A class, not a struct: it is immutable, and the SIP path looks one up for every
    /// request; handing out a copy of a struct retained each of its arrays and tables.
    public final class DomainRule: Sendable {
        /// The domain this rule is for.
        public let domain: DomainName
        /// The lists mapped to the domain, by either kind of mapping, without repeats: their
        /// identifiers and names. Their prefixes are compiled into ``trie`` and not kept
        /// here (`prefixes` is empty), so that the records they came from can change in
        /// place without copying a large list.
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

        init(
            domain: DomainName, lists: [AccessList], trie: PrefixTrie, callCredentials: DigestCredentialSet,
            registrationCredentials: DigestCredentialSet, acceptsRegistrations: Bool, authenticatesCalls: Bool
        ) {
            self.domain = domain
            self.lists = lists
            self.trie = trie
            self.callCredentials = callCredentials
            self.registrationCredentials = registrationCredentials
            self.acceptsRegistrations = acceptsRegistrations
            self.authenticatesCalls = authenticatesCalls
        }
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
        self.init(
            generation: generation, lists: lists, mappings: mappings, credentialLists: credentialLists,
            authentication: authentication, previous: nil, listChanges: [:])
    }

    /// Compiles a policy by changing `previous`: the same policy as compiling the
    /// records from scratch, but each domain's trie is derived from the one it had in
    /// `previous` (or from another domain's there with the same lists) by a linear merge of
    /// what changed, rather than compiled again. Domains whose lists did not change keep
    /// their trie as it is.
    ///
    /// - Parameters:
    ///   - generation, lists, mappings, credentialLists, authentication: the records as
    ///     they are now, as for ``init(generation:lists:mappings:credentialLists:authentication:)``.
    ///   - previous: the policy compiled from the records before the change.
    ///   - listChanges: for each list whose prefixes changed since `previous`, the net
    ///     change; `lists` already holds the changed prefixes. A list missing here is
    ///     taken as unchanged, so this must name every list that changed.
    public init(
        generation: UInt64, lists: [AccessList], mappings: [DomainName: [String]],
        credentialLists: [DigestCredentialList] = [], authentication: [DomainName: DomainAuthentication] = [:],
        updating previous: Policy, listChanges: [String: AccessListChange]
    ) {
        self.init(
            generation: generation, lists: lists, mappings: mappings, credentialLists: credentialLists,
            authentication: authentication, previous: previous, listChanges: listChanges)
    }

    private init(
        generation: UInt64, lists: [AccessList], mappings: [DomainName: [String]],
        credentialLists: [DigestCredentialList], authentication: [DomainName: DomainAuthentication],
        previous: Policy?, listChanges: [String: AccessListChange]
    ) {
        let listsByID = Dictionary(lists.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let credentialListsByID = Dictionary(
            credentialLists.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        // The previous policy's tries, by the lists they were compiled from.
        var previousTries: [[String]: (lists: [AccessList], trie: PrefixTrie)] = [:]
        for rule in previous.map({ Array($0.rules.values) }) ?? [] {
            previousTries[rule.lists.map(\.id)] = (rule.lists, rule.trie)
        }
        /// The trie of `mapped`: from the previous policy's trie of the same domain or of
        /// the same lists when there is one, else compiled.
        func trie(of mapped: [AccessList], before: (lists: [AccessList], trie: PrefixTrie)?) -> PrefixTrie {
            guard let before else { return Self.compile(mapped) }
            return Self.update(before.trie, from: before.lists, to: mapped, changes: listChanges)
        }
        // Domains mapped to the same set of lists share one compiled trie.
        var tries: [[String]: PrefixTrie] = [:]
        var rules: [DomainName: DomainRule] = [:]
        for (domain, listIDs) in mappings {
            var seen = Set<String>()
            let mapped = listIDs.filter { seen.insert($0).inserted }.compactMap { listsByID[$0] }
            let key = mapped.map(\.id)
            let compiled: PrefixTrie
            if let shared = tries[key] {
                compiled = shared
            } else if let before = previous?.rules[domain] {
                compiled = trie(of: mapped, before: previousTries[key] ?? (before.lists, before.trie))
            } else {
                compiled = trie(of: mapped, before: previousTries[key])
            }
            tries[key] = compiled
            let settings = authentication[domain] ?? DomainAuthentication()
            func credentials(_ ids: [String]) -> DigestCredentialSet {
                var seen = Set<String>()
                return DigestCredentialSet(ids.filter { seen.insert($0).inserted }.compactMap { credentialListsByID[$0] })
            }
            rules[domain] = DomainRule(
                domain: domain, lists: mapped.map(\.withoutPrefixes), trie: compiled,
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
            let mapped = Set(mappings.values.joined()).sorted().compactMap { listsByID[$0] }
            let before = previous.map { (lists: $0.knownSourceLists, trie: $0.knownSources) }
            self.knownSources = trie(of: mapped, before: before)
            self.knownSourceLists = mapped.map(\.withoutPrefixes)
        }
        self.generation = generation
        self.rules = rules
        self.prefixCount = lists.reduce(0) { $0 + $1.prefixes.count }
    }

    /// The trie of `lists`, each list's prefixes labelled with its position.
    private static func compile(_ lists: [AccessList]) -> PrefixTrie {
        PrefixTrie(lists.enumerated().lazy.flatMap { index, list in list.prefixes.lazy.map { (prefix: $0, label: index) } })
    }

    /// The trie of `lists`, derived from `trie`, the trie of `previousLists`: lists no
    /// longer there are dropped, the others renumbered to their new positions and changed
    /// by `changes`, and lists new to the set added whole.
    private static func update(
        _ trie: PrefixTrie, from previousLists: [AccessList], to lists: [AccessList],
        changes: [String: AccessListChange]
    ) -> PrefixTrie {
        var position: [String: Int] = [:]
        for (index, list) in lists.enumerated() { position[list.id] = index }
        // A list deleted and made again keeps no prefix of its own past: its old entries
        // are dropped and it is added whole, as a list new to the set.
        let relabelling = previousLists.map { changes[$0.id]?.replacesList == true ? nil : position[$0.id] }
        let wasThere = Set(previousLists.lazy.map(\.id).filter { changes[$0]?.replacesList != true })
        var removing: [(prefix: IPPrefix, label: Int)] = []
        var adding: [(prefix: IPPrefix, label: Int)] = []
        for (label, list) in lists.enumerated() {
            if wasThere.contains(list.id) {
                guard let change = changes[list.id] else { continue }
                removing += change.removed.lazy.map { (prefix: $0, label: label) }
                adding += change.added.lazy.map { (prefix: $0, label: label) }
            } else {
                adding += list.prefixes.lazy.map { (prefix: $0, label: label) }
            }
        }
        let isRelabelled = relabelling != Array(previousLists.indices)
        guard isRelabelled || !removing.isEmpty || !adding.isEmpty else { return trie }
        return trie.updated(relabelling: isRelabelled ? relabelling : nil, removing: removing, adding: adding)
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

extension AccessList {
    /// The list's identifier and name only: what a compiled policy keeps of it.
    fileprivate var withoutPrefixes: AccessList {
        AccessList(id: id, name: name, prefixes: [])
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
