/// One address family's half of a ``PrefixTrie``: a leaf-pushed, run-compressed
/// multibit trie over keys of one width.
///
/// The trie has two levels. The root is a direct-indexed node over the top `rootBits`
/// bits of the key. Below each root slot, every prefix is pushed down to the leaves it
/// covers (the longest prefix wins) and runs of equal leaves are stored once, as the
/// start of an interval. The whole key space is thus cut into intervals, each labelled
/// with its longest matching prefix (or none), kept in two contiguous arrays sorted by
/// start. A root slot records which intervals it spans, so a lookup is one root read and
/// a binary search over the few interval starts of one slot — typically one or two cache
/// lines — followed by one read of the label.
///
/// The sorted entries are kept beside the intervals, so that a change of a few prefixes
/// recompiles by one merge and one sweep rather than a sort (see
/// ``updated(relabelling:removing:adding:)``): at a million prefixes that is what keeps a
/// policy change quick.
///
/// `rootBits` grows with the number of intervals (about one slot per four intervals, at
/// most 2¹⁶ slots), so a trie of a handful of prefixes stays a few hundred bytes.
@usableFromInline
struct PrefixTable<Key: FixedWidthInteger & UnsignedInteger & Sendable>: Sendable {
    /// A prefix to compile: its network (host bits clear), its length and its label.
    ///
    /// Entries order by network, then length, then label: the order the sweep needs
    /// (an enclosing prefix before the prefixes inside it, duplicates lowest label first).
    @usableFromInline
    struct Entry: Comparable, Sendable {
        var network: Key
        var length: UInt8
        var label: UInt32

        @usableFromInline
        static func < (lhs: Entry, rhs: Entry) -> Bool {
            (lhs.network, lhs.length, lhs.label) < (rhs.network, rhs.length, rhs.label)
        }
    }

    /// The encoded match of an interval no prefix covers.
    @usableFromInline
    static var noMatch: UInt32 { .max }

    /// The largest label that can be encoded (the top 24 bits of a match, `noMatch` excluded).
    static var maximumLabel: UInt32 { 0xFF_FFFE }

    /// At most 2¹⁶ root slots: 256 KiB of root at most.
    static var maximumRootBits: Int { 16 }

    /// Bits of the key that index the root.
    @usableFromInline
    let rootBits: Int
    /// For each root slot, the index of the interval containing the slot's first key;
    /// one extra entry holds the last interval's index.
    @usableFromInline
    let slotFirstInterval: [UInt32]
    /// The first key of each interval, ascending; the first is always 0.
    @usableFromInline
    let intervalStarts: [Key]
    /// For each interval, `label << 8 | prefixLength` of its longest match, or `noMatch`.
    @usableFromInline
    let intervalMatches: [UInt32]
    /// The number of distinct prefixes compiled in.
    let prefixCount: Int
    /// Every entry compiled in, duplicates included, in ``Entry`` order: what
    /// ``updated(relabelling:removing:adding:)`` starts from instead of sorting again.
    let entries: [Entry]

    /// Compiles `entries`. Duplicates (same network and length) keep the lowest label.
    init(_ entries: [Entry]) {
        self.init(sorted: entries.sorted())
    }

    /// Compiles entries already in ``Entry`` order.
    private init(sorted: [Entry]) {
        // Every entry ends at most two intervals (the gap before it and itself), and the
        // sweep's last assignment one more.
        let capacity = 2 * sorted.count + 1
        var prefixCount = 0
        var intervalCount = 0
        var matches: [UInt32] = []
        let starts = [Key](unsafeUninitializedCapacity: capacity) { startsBuffer, startsCount in
            matches = [UInt32](unsafeUninitializedCapacity: capacity) { matchesBuffer, matchesCount in
                var sweep = IntervalSweep(starts: startsBuffer, matches: matchesBuffer)
                // Sweep the prefixes in order; `open` holds the prefixes enclosing the
                // cursor, innermost last. Prefixes are either nested or disjoint, so this is
                // a stack, at most one prefix of each length deep.
                let open = UnsafeMutableBufferPointer<(end: Key, match: UInt32)>.allocate(capacity: Key.bitWidth + 1)
                defer { open.deallocate() }
                var depth = 0
                sorted.withUnsafeBufferPointer { entries in
                    var previous: Entry?
                    for entry in entries {
                        if let previous, previous.network == entry.network, previous.length == entry.length {
                            continue  // duplicate: the first (lowest label) wins
                        }
                        previous = entry
                        prefixCount += 1
                        while depth > 0, open[depth - 1].end < entry.network {
                            sweep.assign(through: open[depth - 1].end, to: open[depth - 1].match)
                            depth -= 1
                        }
                        if entry.network > sweep.cursor {
                            sweep.assign(through: entry.network - 1, to: depth > 0 ? open[depth - 1].match : Self.noMatch)
                        }
                        // Canonical prefixes nest at most one per length deep.
                        precondition(depth < open.count, "prefixes nested deeper than the key is wide")
                        // The host bits: all ones under the prefix (`>>` by the full width is 0).
                        open[depth] = (entry.network | (Key.max >> entry.length), entry.label << 8 | UInt32(entry.length))
                        depth += 1
                    }
                }
                while depth > 0 {
                    sweep.assign(through: open[depth - 1].end, to: open[depth - 1].match)
                    depth -= 1
                }
                sweep.assign(through: Key.max, to: Self.noMatch)
                matchesCount = sweep.count
                intervalCount = sweep.count
            }
            startsCount = intervalCount
        }

        // Root: one slot per ~4 intervals.
        let rootBits = min(Self.maximumRootBits, max(0, Int.bitWidth - (starts.count >> 2).leadingZeroBitCount - 1))
        let slotCount = 1 << rootBits
        var slotFirst = [UInt32](repeating: 0, count: slotCount + 1)
        var interval = 0
        for slot in 0..<slotCount {
            let slotStart: Key = rootBits == 0 ? 0 : Key(slot) << (Key.bitWidth - rootBits)
            while interval + 1 < starts.count && starts[interval + 1] <= slotStart { interval += 1 }
            slotFirst[slot] = UInt32(interval)
        }
        slotFirst[slotCount] = UInt32(starts.count - 1)

        self.rootBits = rootBits
        self.prefixCount = prefixCount
        self.entries = sorted
        self.slotFirstInterval = slotFirst
        // Drop the spare capacity reserved for the worst case.
        self.intervalStarts = starts.capacity > starts.count + starts.count / 8 ? Array(starts[...]) : starts
        self.intervalMatches = matches.capacity > matches.count + matches.count / 8 ? Array(matches[...]) : matches
    }

    /// The intervals a sweep has cut so far, written into buffers sized for the worst case.
    private struct IntervalSweep {
        let starts: UnsafeMutableBufferPointer<Key>
        let matches: UnsafeMutableBufferPointer<UInt32>
        /// Intervals written.
        var count = 0
        /// The first key not yet assigned to an interval.
        var cursor: Key = 0
        /// Whether every key is assigned.
        var exhausted = false

        /// Assigns keys from `cursor` through `end` to `match`, merging with the previous
        /// interval when it has the same match.
        @inline(__always)
        mutating func assign(through end: Key, to match: UInt32) {
            guard !exhausted, cursor <= end else { return }
            if count == 0 || matches[count - 1] != match {
                precondition(count < starts.count, "more intervals than the sweep allows for")
                starts[count] = cursor
                matches[count] = match
                count += 1
            }
            if end == Key.max { exhausted = true } else { cursor = end &+ 1 }
        }
    }

    /// This table with some entries relabelled or dropped, some removed and some added,
    /// compiled without sorting the entries it keeps: one merge and one sweep, linear in
    /// the table's size.
    ///
    /// - Parameters:
    ///   - relabelling: for each current label, its new label, or `nil` to drop every
    ///     entry carrying it; `nil` keeps every label. Labels beyond the array are dropped.
    ///   - removing: entries to remove, by their new label; each removes one equal entry,
    ///     and one with no equal entry is ignored.
    ///   - adding: entries to add, by their new label.
    /// - Returns: the same table as compiling the resulting entries from scratch.
    func updated(relabelling: [UInt32?]?, removing: [Entry], adding: [Entry]) -> PrefixTable {
        var kept = entries
        if let relabelling {
            var isMonotonic = true
            var previous: UInt32?
            for case let label? in relabelling {
                if let previous, label <= previous { isMonotonic = false }
                previous = label
            }
            kept = kept.compactMap { entry in
                guard Int(entry.label) < relabelling.count, let label = relabelling[Int(entry.label)] else { return nil }
                return Entry(network: entry.network, length: entry.length, label: label)
            }
            // Relabelling in another order breaks the order among duplicates only.
            if !isMonotonic { kept.sort() }
        }
        let removing = removing.sorted()
        let adding = adding.sorted()
        let merged = [Entry](unsafeUninitializedCapacity: kept.count + adding.count) { buffer, count in
            var removal = 0
            var addition = 0
            for entry in kept {
                while removal < removing.count && removing[removal] < entry { removal += 1 }
                if removal < removing.count && removing[removal] == entry {
                    removal += 1
                    continue
                }
                while addition < adding.count && adding[addition] < entry {
                    buffer[count] = adding[addition]
                    count += 1
                    addition += 1
                }
                buffer[count] = entry
                count += 1
            }
            for entry in adding[addition...] {
                buffer[count] = entry
                count += 1
            }
        }
        return PrefixTable(sorted: merged)
    }

    /// The encoded longest match for `key` (`label << 8 | length`), or `noMatch`.
    @inlinable
    func match(_ key: Key) -> UInt32 {
        let slot = rootBits == 0 ? 0 : Int(truncatingIfNeeded: key >> (Key.bitWidth - rootBits))
        return slotFirstInterval.withUnsafeBufferPointer { slots in
            intervalStarts.withUnsafeBufferPointer { starts in
                // The last interval starting at or before `key`; it lies within the slot's span.
                var low = Int(slots[slot])
                var high = Int(slots[slot + 1])
                while low < high {
                    let middle = (low + high + 1) >> 1
                    if starts[middle] <= key { low = middle } else { high = middle - 1 }
                }
                return intervalMatches[low]
            }
        }
    }

    /// Bytes held by the table's arrays.
    var memoryFootprint: Int {
        entries.capacity * MemoryLayout<Entry>.stride
            + slotFirstInterval.capacity * MemoryLayout<UInt32>.stride
            + intervalStarts.capacity * MemoryLayout<Key>.stride
            + intervalMatches.capacity * MemoryLayout<UInt32>.stride
    }
}
