import AccessControl
import Foundation

/// The store's change journal: for each generation, what the write that made it changed.
///
/// The journal lives in the `policy_change` table and is written by SQLite triggers in the
/// same transaction as the change, so it is complete whatever path made the change:
/// - each IP address added to or removed from a list is one row (`address_added`,
///   `address_removed`, with the list, network and prefix length); a changed address is
///   a removal and an addition. Addresses removed because their list was deleted are not
///   journaled: the list's deletion is;
/// - a change to anything else a policy is compiled from — domains, lists, mappings,
///   credential lists, credentials — is one `records` row per generation: the reader
///   then re-reads those (small) tables, but never the addresses;
/// - a deleted list is also a `list_deleted` row with its SID, so that a reader drops
///   the list's prefixes even when a list with the same SID is made again (as
///   `policy import` does with the SIDs of an export) before it catches up;
/// - a write too large to journal address by address (more than ``collapseThreshold``
///   rows), and an import of a policy document with more addresses than that (marked up
///   front, so that the triggers skip its rows), leave one `reload` row: a reader
///   compiles everything again.
///
/// The journal keeps the changes of the last ``retainedGenerations`` generations, and
/// at most about ``maximumRows`` rows;
/// `policy_generation.journal_floor` is the generation after which it is complete, so a
/// reader further behind than that reloads.
enum PolicyJournal {
    /// Generations whose changes are kept.
    static let retainedGenerations: UInt64 = 10_000

    /// Past this many rows, a write's journal collapses into one `reload` row.
    static let collapseThreshold = 10_000

    /// Past this many rows in all, the oldest generations are forgotten (checked every
    /// hundredth generation) until half remain.
    static let maximumRows = 1_000_000

    /// The generation the running write transaction will commit at (the writer bumps the
    /// generation by one after the write's statements).
    private static let pending = "(SELECT value + 1 FROM policy_generation WHERE id = 1)"

    /// No `reload` row for the pending generation yet (when there is one, nothing more
    /// needs journaling).
    private static let notReloading =
        "NOT EXISTS (SELECT 1 FROM policy_change WHERE generation = \(pending) AND kind = 'reload')"

    /// The tables other than addresses that a policy is compiled from, with the update
    /// that changes what is compiled: a change to any is journaled as one `records` row.
    static let recordTables: [(table: String, update: String)] = [
        ("domain", "UPDATE OF domain_name, sip_registration"),
        ("ip_access_control_list", "UPDATE OF friendly_name"),
        ("ip_access_control_list_mapping", "UPDATE"),
        ("credential_list", "UPDATE OF friendly_name"),
        ("credential", "UPDATE"),
        ("credential_list_mapping", "UPDATE"),
    ]

    /// The triggers that write the journal (created by migration v5).
    static var triggers: [String] {
        var statements: [String] = []
        func address(_ kind: String, _ row: String) -> String {
            """
            INSERT INTO policy_change (generation, kind, ip_access_control_list_sid, network, prefix_length)
            VALUES (\(pending), '\(kind)', \(row).ip_access_control_list_sid, \(row).network, \(row).prefix_length);
            """
        }
        statements.append(
            """
            CREATE TRIGGER policy_change_address_insert AFTER INSERT ON ip_address WHEN \(notReloading)
            BEGIN \(address("address_added", "NEW")) END
            """)
        // A cascade from a deleted list runs after the list's row is gone.
        statements.append(
            """
            CREATE TRIGGER policy_change_address_delete AFTER DELETE ON ip_address
            WHEN \(notReloading) AND EXISTS (SELECT 1 FROM ip_access_control_list WHERE sid = OLD.ip_access_control_list_sid)
            BEGIN \(address("address_removed", "OLD")) END
            """)
        statements.append(
            """
            CREATE TRIGGER policy_change_list_deleted AFTER DELETE ON ip_access_control_list WHEN \(notReloading)
            BEGIN
                INSERT INTO policy_change (generation, kind, ip_access_control_list_sid)
                VALUES (\(pending), 'list_deleted', OLD.sid);
            END
            """)
        statements.append(
            """
            CREATE TRIGGER policy_change_address_update
            AFTER UPDATE OF ip_access_control_list_sid, network, prefix_length ON ip_address
            WHEN \(notReloading) AND (OLD.ip_access_control_list_sid IS NOT NEW.ip_access_control_list_sid
                OR OLD.network IS NOT NEW.network OR OLD.prefix_length IS NOT NEW.prefix_length)
            BEGIN \(address("address_removed", "OLD")) \(address("address_added", "NEW")) END
            """)
        for (table, update) in recordTables {
            for (name, event) in [("insert", "INSERT"), ("delete", "DELETE"), ("update", update)] {
                statements.append(
                    """
                    CREATE TRIGGER policy_change_\(table)_\(name) AFTER \(event) ON \(table)
                    WHEN NOT EXISTS (
                        SELECT 1 FROM policy_change WHERE generation = \(pending) AND kind IN ('reload', 'records'))
                    BEGIN
                        INSERT INTO policy_change (generation, kind) VALUES (\(pending), 'records');
                    END
                    """)
            }
        }
        return statements
    }

    /// The per-row address triggers, set aside for the rest of a write that is journaled
    /// as one `reload` (``markReload(_:)``): they would journal nothing for it, yet SQLite
    /// runs a trigger program for each row, which was a fifth of a million-address import.
    ///
    /// ``suspend()`` drops them the first time a bulk step is about to write addresses, and
    /// ``restore()``, called before the write ends, creates them again from their stored
    /// definitions. Both happen inside the write's transaction, so no other connection ever
    /// sees the store without them; when the write fails, its rollback restores them.
    final class AddressTriggerSuspension {
        private static let names = [
            "policy_change_address_insert", "policy_change_address_delete", "policy_change_address_update",
        ]
        private let db: any StoreTransaction
        private var dropped: [String]?

        /// A suspension for the write `db` is in, which must be marked as a reload.
        init(_ db: any StoreTransaction) {
            self.db = db
        }

        /// Drops the address triggers, once.
        func suspend() throws {
            // PostgreSQL's journal triggers run once per statement, not per row.
            guard dropped == nil, db.dialect == .sqlite else { return }
            let reloading = try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM policy_change WHERE generation = \(pending) AND kind = 'reload')")
            guard reloading == true else { return }  // only a write the journal already calls a reload
            let names = Self.names.map { "'\($0)'" }.joined(separator: ", ")
            dropped = try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name IN (\(names))")
            for name in Self.names {
                try db.execute(sql: "DROP TRIGGER IF EXISTS \(name)")
            }
        }

        /// Creates the dropped triggers again.
        func restore() throws {
            guard let definitions = dropped else { return }
            for definition in definitions {
                try db.execute(sql: definition)
            }
            dropped = nil
        }
    }

    /// Leaves a `reload` row for the pending generation before a write's statements, so
    /// that the triggers journal nothing more for it.
    static func markReload(_ db: any StoreTransaction) throws {
        try db.execute(sql: "INSERT INTO policy_change (generation, kind) VALUES (\(pending), 'reload')")
    }

    /// Takes back ``markReload(_:)`` when the write changed nothing.
    static func unmarkReload(_ db: any StoreTransaction) throws {
        try db.execute(sql: "DELETE FROM policy_change WHERE generation = \(pending) AND kind = 'reload'")
    }

    /// Called by the writer inside the transaction, after bumping the generation to
    /// `generation`: collapses an oversized journal entry into a `reload` row and forgets
    /// the changes older than ``retainedGenerations``.
    static func seal(_ db: any StoreTransaction, generation: UInt64) throws {
        let rows = try Int.fetchOne(
            db, sql: "SELECT count(*) FROM policy_change WHERE generation = ?", arguments: [Int64(generation)]) ?? 0
        if rows > collapseThreshold {
            try db.execute(sql: "DELETE FROM policy_change WHERE generation = ?", arguments: [Int64(generation)])
            try db.execute(
                sql: "INSERT INTO policy_change (generation, kind) VALUES (?, 'reload')", arguments: [Int64(generation)])
        }
        if generation > retainedGenerations {
            try forget(db, through: Int64(generation - retainedGenerations))
        }
        // Every hundredth generation, bound the rows as well: many writes of nearly
        // `collapseThreshold` rows each would otherwise keep up to 10⁸.
        guard generation % 100 == 0,
            try Int.fetchOne(db, sql: "SELECT count(*) FROM policy_change") ?? 0 > maximumRows,
            let cutoff = try Int64.fetchOne(
                db, sql: "SELECT generation FROM policy_change ORDER BY generation DESC LIMIT 1 OFFSET ?",
                arguments: [maximumRows / 2])
        else { return }
        try forget(db, through: cutoff)
    }

    /// Deletes the changes of generations up to `generation`, which the journal then no
    /// longer tells.
    private static func forget(_ db: any StoreTransaction, through generation: Int64) throws {
        try db.execute(sql: "DELETE FROM policy_change WHERE generation <= ?", arguments: [generation])
        try db.execute(
            sql: "UPDATE policy_generation SET journal_floor = \(db.dialect.greater("journal_floor", "?")) WHERE id = 1",
            arguments: [generation])
    }
}

extension PolicyJournal {
    /// One journaled change of a list's prefixes.
    enum ListChange: Sendable {
        /// `prefix` added to (`isAddition`) or removed from `list`.
        case address(list: String, isAddition: Bool, prefix: IPPrefix)
        /// `list` deleted, with all its prefixes.
        case deleted(list: String)

        var list: String {
            switch self {
            case .address(let list, _, _), .deleted(let list): list
            }
        }
    }

    /// What the journal holds for the generations after a reader's.
    struct Entries: Sendable {
        /// The changes of lists' prefixes, in commit order.
        var lists: [ListChange] = []
        /// Whether any other record (domain, list, mapping, credential) changed.
        var touchesRecords = false

        /// The journal rows read: list changes, and one for the other records.
        var count: Int { lists.count + (touchesRecords ? 1 : 0) }
    }

    /// Past this many rows behind, a reader compiles everything instead (one read of the
    /// addresses costs less than applying so many changes one by one).
    static let catchUpLimit = 100_000

    /// The changes committed after `generation` up to `current` (the store's generation in
    /// the same read), or `nil` when the journal cannot tell them: it was pruned past
    /// `generation`, a write left a `reload` row, or there are more than ``catchUpLimit``.
    static func entries(_ db: any StoreTransaction, after generation: UInt64, through current: UInt64) throws -> Entries? {
        let floor = try Int64.fetchOne(db, sql: "SELECT journal_floor FROM policy_generation WHERE id = 1") ?? .max
        guard floor <= Int64(generation) else { return nil }
        let range: StoreArguments = [Int64(generation), Int64(current)]
        let rowCount = try Int.fetchOne(
            db, sql: "SELECT count(*) FROM policy_change WHERE generation > ? AND generation <= ?", arguments: range) ?? 0
        guard rowCount <= catchUpLimit else { return nil }
        var entries = Entries()
        // At most `catchUpLimit` rows: held at once.
        let rows = try StoreRow.fetchAll(
            db,
            sql: """
                SELECT kind, ip_access_control_list_sid, network, prefix_length FROM policy_change
                WHERE generation > ? AND generation <= ? ORDER BY generation, \(db.dialect.journalOrder)
                """,
            arguments: range)
        for row in rows {
            let kind: String = try row.decode(atIndex: 0)
            switch kind {
            case "address_added", "address_removed":
                let list: String = try row.decode(atIndex: 1)
                let prefix = try StoredRows.prefix(
                    network: try row.decode(atIndex: 2), length: try row.decode(atIndex: 3), owner: list)
                entries.lists.append(.address(list: list, isAddition: kind == "address_added", prefix: prefix))
            case "list_deleted":
                entries.lists.append(.deleted(list: try row.decode(atIndex: 1)))
            case "records":
                entries.touchesRecords = true
            default:
                return nil
            }
        }
        return entries
    }

    /// The net change of each list's prefixes over `changes`: a prefix added and then
    /// removed again is no change; a list deleted (and perhaps made again) is replaced.
    static func netChanges(_ changes: [ListChange]) -> [String: AccessListChange] {
        var counts: [String: [IPPrefix: Int]] = [:]
        var replaced: Set<String> = []
        for change in changes {
            switch change {
            case .address(let list, let isAddition, let prefix):
                counts[list, default: [:]][prefix, default: 0] += isAddition ? 1 : -1
            case .deleted(let list):
                // Nothing of the list is left; whatever follows is a new list's.
                counts[list] = nil
                replaced.insert(list)
            }
        }
        var net: [String: AccessListChange] = [:]
        for list in replaced {
            net[list] = AccessListChange(
                added: counts[list, default: [:]].compactMap { $0.value > 0 ? $0.key : nil }, replacesList: true)
        }
        for (list, prefixes) in counts where !replaced.contains(list) {
            var change = AccessListChange()
            for (prefix, count) in prefixes {
                if count > 0 { change.added.append(prefix) } else if count < 0 { change.removed.append(prefix) }
            }
            if !change.isEmpty { net[list] = change }
        }
        return net
    }
}
