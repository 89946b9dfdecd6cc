public import AccessControl
import GRDB

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
/// At a million prefixes this is what turns an API write's way to the SIP path from a
/// full recompile (most of a second) into milliseconds.
public struct PolicyTracker: Sendable {
    /// How ``catchUp(with:)`` brought the policy up to date.
    public enum Update: Hashable, Sendable {
        /// The store was at the tracker's generation already.
        case unchanged
        /// The journaled changes were applied: `changes` journal rows across the generations.
        case applied(changes: Int)
        /// Everything was read and compiled again.
        case reloaded
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

    /// Reads and compiles the whole policy again, whatever the journal says (a reload's
    /// safety net).
    public mutating func reload(from store: PolicyStore) async throws {
        records = try await store.read { db in try PolicySnapshot(db) }
        policy = records.policy()
    }

    /// Brings the policy up to the store's current generation.
    ///
    /// - Returns: what it took.
    /// - Throws: an error of the store's; the tracker is then unchanged.
    public mutating func catchUp(with store: PolicyStore) async throws -> Update {
        enum Read: Sendable {
            case unchanged
            case reload(PolicySnapshot)
            case changes(PolicyJournal.Entries, records: PolicySnapshot?, generation: UInt64)
        }
        let known = records.generation
        let knownLists = Set(records.lists.map(\.id))
        let read = try await store.read { db -> Read in
            let current = try PolicyStore.readGeneration(db)
            guard current != known else { return .unchanged }
            guard current > known, let entries = try PolicyJournal.entries(db, after: known) else {
                return .reload(try PolicySnapshot(db))
            }
            // A list the tracker does not know came with a journaled `records` change;
            // re-read the records whenever one shows up, whatever the journal says.
            let unknownList = entries.addresses.contains { !knownLists.contains($0.list) }
            let records = entries.touchesRecords || unknownList ? try PolicySnapshot(db, prefixesByList: [:]) : nil
            return .changes(entries, records: records, generation: current)
        }
        switch read {
        case .unchanged:
            return .unchanged
        case .reload(let snapshot):
            records = snapshot
            policy = snapshot.policy()
            return .reloaded
        case .changes(let entries, let reread, let generation):
            let changes = PolicyJournal.netChanges(entries.addresses)
            var prefixesByList = Dictionary(uniqueKeysWithValues: records.lists.map { ($0.id, $0.prefixes) })
            for (list, change) in changes {
                prefixesByList[list, default: []].apply(change)
            }
            // The lists as they are now (names from the re-read records, when read), each
            // with its changed prefixes.
            var updated = reread ?? records
            updated.generation = generation
            updated.lists = updated.lists.map { list in
                AccessList(id: list.id, name: list.name, prefixes: prefixesByList[list.id] ?? [])
            }
            policy = Policy(
                generation: generation, lists: updated.lists, mappings: updated.mappings,
                credentialLists: updated.credentialLists, authentication: updated.authentication,
                updating: policy, listChanges: changes)
            records = updated
            return .applied(changes: entries.addresses.count + (entries.touchesRecords ? 1 : 0))
        }
    }
}

extension Array where Element == IPPrefix {
    /// Applies a list's net change: the store keeps a prefix at most once per list.
    fileprivate mutating func apply(_ change: AccessListChange) {
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
