/// A compiled, immutable set of IPv4 and IPv6 prefixes that answers, for an address,
/// "which is the longest prefix covering it, and what label was it given?".
///
/// This is what the SIP path consults for every INVITE, so it is built once and then
/// only read: lookups allocate nothing, take no lock, and touch a few cache lines of
/// contiguous arrays (see ``PrefixTable`` for the layout). Any number of prefixes may be
/// given, including duplicates and nested prefixes; among duplicates the lowest label wins.
///
/// IPv4-mapped IPv6 addresses and prefixes (`::ffff:0:0/96` and longer) are treated as
/// the IPv4 addresses and prefixes they carry, so a dual-stack socket's
/// `::ffff:192.0.2.1` matches `192.0.2.0/24`.
public struct PrefixTrie: Sendable {
    /// The result of a lookup: the most specific covering prefix and its label.
    public struct Match: Hashable, Sendable {
        /// The longest prefix that covers the address.
        public let prefix: IPPrefix
        /// The label given to that prefix when the trie was built.
        public let label: Int

        @usableFromInline
        init(prefix: IPPrefix, label: Int) {
            self.prefix = prefix
            self.label = label
        }
    }

    /// The largest label a prefix may carry.
    public static let maximumLabel = Int(PrefixTable<UInt32>.maximumLabel)

    @usableFromInline let ipv4: PrefixTable<UInt32>
    @usableFromInline let ipv6: PrefixTable<UInt128>

    /// The number of distinct prefixes compiled in.
    public let count: Int

    /// Compiles labelled prefixes. Labels must lie in `0...maximumLabel`.
    public init(_ entries: some Sequence<(prefix: IPPrefix, label: Int)>) {
        let (v4, v6) = Self.entries(entries)
        self.init(ipv4: PrefixTable(v4), ipv6: PrefixTable(v6))
    }

    private init(ipv4: PrefixTable<UInt32>, ipv6: PrefixTable<UInt128>) {
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.count = ipv4.prefixCount + ipv6.prefixCount
    }

    /// This trie with some labels renumbered or dropped, some prefixes removed and some
    /// added: the same trie as compiling the resulting prefixes from scratch, in time
    /// linear in the trie's size and without sorting the prefixes it keeps.
    ///
    /// This is how a policy change recompiles a domain: its lists' positions (the labels)
    /// move when lists are mapped or unmapped, and a list's added and removed prefixes
    /// come from the store's change journal.
    ///
    /// - Parameters:
    ///   - relabelling: for each current label, its new label or `nil` to drop its
    ///     prefixes; `nil` (the default) keeps every label. Labels beyond the array are
    ///     dropped. New labels must lie in `0...maximumLabel`.
    ///   - removing: prefixes to remove, with their new label; each removes one equal
    ///     (prefix, label) pair, and one not present is ignored.
    ///   - adding: prefixes to add, with their new label.
    public func updated(
        relabelling: [Int?]? = nil, removing: some Sequence<(prefix: IPPrefix, label: Int)>,
        adding: some Sequence<(prefix: IPPrefix, label: Int)>
    ) -> PrefixTrie {
        let labels = relabelling.map { map in
            map.map { label in
                label.map { label in
                    precondition((0...Self.maximumLabel).contains(label), "prefix label \(label) out of range")
                    return UInt32(label)
                }
            }
        }
        let (removeV4, removeV6) = Self.entries(removing)
        let (addV4, addV6) = Self.entries(adding)
        return PrefixTrie(
            ipv4: ipv4.updated(relabelling: labels, removing: removeV4, adding: addV4),
            ipv6: ipv6.updated(relabelling: labels, removing: removeV6, adding: addV6))
    }

    /// Labelled prefixes as table entries, split by family (IPv4-mapped IPv6 as IPv4).
    private static func entries(
        _ labelled: some Sequence<(prefix: IPPrefix, label: Int)>
    ) -> ([PrefixTable<UInt32>.Entry], [PrefixTable<UInt128>.Entry]) {
        var v4: [PrefixTable<UInt32>.Entry] = []
        var v6: [PrefixTable<UInt128>.Entry] = []
        for (prefix, label) in labelled {
            precondition((0...Self.maximumLabel).contains(label), "prefix label \(label) out of range")
            let canonical = prefix.canonical
            switch canonical.network.storage {
            case .v4(let network):
                v4.append(.init(network: network, length: UInt8(canonical.length), label: UInt32(label)))
            case .v6(let network):
                v6.append(.init(network: network, length: UInt8(canonical.length), label: UInt32(label)))
            }
        }
        return (v4, v6)
    }

    /// Compiles prefixes that all carry label 0.
    public init(prefixes: some Sequence<IPPrefix>) {
        self.init(prefixes.lazy.map { (prefix: $0, label: 0) })
    }

    /// The longest prefix covering `address`, or `nil` when none does.
    @inlinable
    public func longestMatch(for address: IPAddress) -> Match? {
        let encoded: UInt32
        let storage = address.canonical.storage
        switch storage {
        case .v4(let value): encoded = ipv4.match(value)
        case .v6(let value): encoded = ipv6.match(value)
        }
        guard encoded != PrefixTable<UInt32>.noMatch else { return nil }
        let length = Int(encoded & 0xFF)
        let network: IPAddress
        switch storage {
        case .v4(let value): network = IPAddress(ipv4: value & IPPrefix.mask(length, of: UInt32.self))
        case .v6(let value): network = IPAddress(ipv6: value & IPPrefix.mask(length, of: UInt128.self))
        }
        return Match(prefix: IPPrefix(uncheckedNetwork: network, length: length), label: Int(encoded >> 8))
    }

    /// Whether any prefix covers `address`.
    @inlinable
    public func covers(_ address: IPAddress) -> Bool {
        switch address.canonical.storage {
        case .v4(let value): ipv4.match(value) != PrefixTable<UInt32>.noMatch
        case .v6(let value): ipv6.match(value) != PrefixTable<UInt128>.noMatch
        }
    }

    /// Bytes held by the compiled arrays (for capacity planning and benchmarks).
    public var memoryFootprint: Int {
        ipv4.memoryFootprint + ipv6.memoryFootprint
    }
}

extension IPPrefix {
    /// A prefix from a network whose host bits are known to be clear.
    @usableFromInline
    init(uncheckedNetwork network: IPAddress, length: Int) {
        self.network = network
        self.length = length
    }
}
