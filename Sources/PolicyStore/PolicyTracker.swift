public import AccessControl

/// A compiled policy kept current with the store, recompiling after each committed change
/// only what the change touched.
///
/// The tracker holds the records its policy was compiled from. To catch up it reads the
/// store's change journal (see `PolicyJournal`) from its generation on: the prefixes each
/// write added to or removed from a list, and whether any other record changed. It
/// applies those to its records, re-reads the small tables (domains, lists, mappings,
/// credentials) only when they changed — never the addresses — and derives the new
/// policy from the old one with
/// ``Policy/init(generation:lists:mappings:credentialLists:authentication:updating:listChanges:)``.
/// When the journal cannot tell (the tracker is further behind than the journal keeps,
/// or a write was too large to journal), it compiles everything again.
///
/// Catching up is two steps, so that an owner can keep the tracker in one place and change
/// it there without copying its records: ``changes(in:since:)`` reads the store from the
/// tracker's ``baseline`` (asynchronous, no reference to the records held across the
/// read), ``apply(_:)`` compiles (synchronous, in place). ``catchUp(with:)`` does both.
///
/// At a million prefixes this is what turns an API write's way to the SIP path from a
/// full recompile (most of a second) into milliseconds.
public struct PolicyTracker: Sendable {
    /// How the policy was brought up to date.
    public enum Update: Hashable, Sendable {
        /// The store was at the tracker's generation already (or the changes were read
        /// for another generation than the tracker's, and ignored).
        case unchanged
        /// The journaled changes were applied: `changes` is the number of list changes
        /// (prefixes added or removed, lists deleted), plus one when other records changed.
        case applied(changes: Int)
        /// Everything was read and compiled again.
        case reloaded
    }

    /// What a read of the store's changes starts from: the tracker's generation and lists.
    public struct Baseline: Sendable {
        let generation: UInt64
        let lists: Set<String>
    }

    /// What the store holds beyond a tracker's generation, read by ``changes(in:since:)``.
    public struct PendingChanges: Sendable {
        fileprivate enum Content: Sendable {
            case none
            case everything(PolicySnapshot)
            case journaled(PolicyJournal.Entries, records: PolicySnapshot?, generation: UInt64)
        }

        /// The generation the changes start from.
        let base: UInt64
        fileprivate let content: Content

        /// Whether the store was still at the baseline's generation: nothing to apply.
        public var isEmpty: Bool {
            if case .none = content { true } else { false }
        }
    }

    /// The policy compiled from the store at ``generation``.
    public private(set) var policy: Policy
    private var records: PolicySnapshot

    /// The store generation the policy reflects.
    public var generation: UInt64 { records.generation }

    /// Reads and compiles the store's whole policy.
    public init(compiling store: PolicyStore) async throws {
        records = try await store.read { db in try PolicySnapshot(db) }
        policy = records.policy()
    }

    /// Where the next read of the store's changes starts.
    public var baseline: Baseline {
        Baseline(generation: records.generation, lists: Set(records.lists.map(\.id)))
    }

    /// Reads the whole store, whatever the journal says (a reload's safety net), for
    /// ``apply(_:)``.
    public static func everything(in store: PolicyStore) async throws -> PendingChanges {
        let snapshot = try await store.read { db in try PolicySnapshot(db) }
        return PendingChanges(base: snapshot.generation, content: .everything(snapshot))
    }

    /// Reads what changed in the store since `baseline` (a tracker's ``baseline``), for
    /// ``apply(_:)``.
    ///
    /// - Throws: an error of the store's.
    public static func changes(in store: PolicyStore, since baseline: Baseline) async throws -> PendingChanges {
        let content = try await store.read { db -> PendingChanges.Content in
            let current = try PolicyStore.readGeneration(db)
            guard current != baseline.generation else { return .none }
            guard current > baseline.generation,
                let entries = try PolicyJournal.entries(db, after: baseline.generation, through: current)
            else {
                return .everything(try PolicySnapshot(db))
            }
            // A list the tracker does not know came with a journaled `records` change;
            // re-read the records whenever one shows up, whatever the journal says.
            let unknownList = entries.lists.contains { !baseline.lists.contains($0.list) }
            let records = entries.touchesRecords || unknownList ? try PolicySnapshot(db, prefixesByList: [:]) : nil
            return .journaled(entries, records: records, generation: current)
        }
        return PendingChanges(base: baseline.generation, content: content)
    }

    /// Applies changes read by ``changes(in:since:)`` or ``everything(in:)``: compiles the
    /// new policy, changing the tracker's records in place.
    ///
    /// Changes read from another generation than the tracker's (another caller applied
    /// something meanwhile) are ignored unless they are the whole store.
    public mutating func apply(_ pending: PendingChanges) -> Update {
        switch pending.content {
        case .none:
            return .unchanged
        case .everything(let snapshot):
            guard snapshot.generation >= records.generation else { return .unchanged }
            records = snapshot
            policy = snapshot.policy()
            return .reloaded
        case .journaled(let entries, let reread, let generation):
            guard pending.base == records.generation else { return .unchanged }
            let changes = PolicyJournal.netChanges(entries.lists)
            var position: [String: Int] = [:]
            for (index, list) in records.lists.enumerated() { position[list.id] = index }
            var newLists: [String: [IPPrefix]] = [:]
            for (list, change) in changes {
                if let index = position[list] {
                    records.lists[index].prefixes.apply(change)  // in place: the policy keeps no prefixes
                } else {
                    newLists[list, default: []].apply(change)
                }
            }
            if var reread {
                // The lists as they are now (names from the store), each with its prefixes.
                var prefixes = newLists
                for index in records.lists.indices {
                    swap(&prefixes[records.lists[index].id, default: []], &records.lists[index].prefixes)
                }
                for index in reread.lists.indices {
                    reread.lists[index].prefixes = prefixes.removeValue(forKey: reread.lists[index].id) ?? []
                }
                records = reread
            }
            records.generation = generation
            policy = Policy(
                generation: generation, lists: records.lists, mappings: records.mappings,
                credentialLists: records.credentialLists, authentication: records.authentication,
                updating: policy, listChanges: changes)
            return .applied(changes: entries.count)
        }
    }

    /// Brings the policy up to the store's current generation: ``changes(in:since:)`` then
    /// ``apply(_:)``.
    ///
    /// - Throws: an error of the store's; the tracker is then unchanged.
    public mutating func catchUp(with store: PolicyStore) async throws -> Update {
        apply(try await Self.changes(in: store, since: baseline))
    }
}

extension Array where Element == IPPrefix {
    /// Applies a list's net change: the store keeps a prefix at most once per list.
    fileprivate mutating func apply(_ change: AccessListChange) {
        if change.replacesList {
            self = change.added
            return
        }
        if change.removed.count <= 16 {
            for prefix in change.removed {
                guard let index = firstIndex(of: prefix) else { continue }
                swapAt(index, count - 1)
                removeLast()
            }
        } else if !change.removed.isEmpty {
            let removed = Set(change.removed)
            removeAll { removed.contains($0) }
        }
        append(contentsOf: change.added)
    }
}
