
extension PolicyStore {
    /// Creates an empty IP access control list in `account`.
    public func createIPAccessControlList(account: SID, friendlyName: String) async throws -> IPAccessControlListRecord
    {
        try account.require(.account)
        let sid = SID.random(.ipAccessControlList)
        let time = timestamp()
        return try await write { db in
            try Self.insertList(db, sid: sid, account: account, friendlyName: friendlyName, at: time)
            return try Self.fetchList(db, sid, account: account)
        }
    }

    /// The list `sid` of `account`.
    ///
    /// - Throws: ``PolicyStoreError/notFound(_:)``.
    public func ipAccessControlList(_ sid: SID, account: SID) async throws -> IPAccessControlListRecord {
        try await read { db in try Self.fetchList(db, sid, account: account) }
    }

    /// Up to `limit` lists of `account` in SID order, starting after the SID `after`
    /// and skipping `offset` more.
    public func ipAccessControlLists(
        account: SID, after: SID? = nil, offset: Int = 0, limit: Int
    ) async throws -> [IPAccessControlListRecord] {
        try await read { db in
            try StoreRow.fetchAll(
                db,
                sql: """
                    SELECT \(StoredRows.listColumns) FROM ip_access_control_list l
                    WHERE l.account_sid = ? AND l.sid > ? ORDER BY l.sid LIMIT ? OFFSET ?
                    """,
                arguments: [account.rawValue, after?.rawValue ?? "", max(0, limit), max(0, offset)]
            ).map(StoredRows.list)
        }
    }

    /// Renames the list `sid` of `account`. Renaming to the current name writes nothing.
    ///
    /// - Throws: ``PolicyStoreError/notFound(_:)``.
    @discardableResult
    public func renameIPAccessControlList(
        _ sid: SID, account: SID, friendlyName: String
    ) async throws -> IPAccessControlListRecord {
        let time = timestamp()
        return try await write { db in
            try Self.renameList(db, sid, account: account, friendlyName: friendlyName, at: time)
            return try Self.fetchList(db, sid, account: account)
        }
    }

    /// Deletes the list `sid` of `account`, with its addresses and its mappings to domains.
    ///
    /// - Throws: ``PolicyStoreError/notFound(_:)``.
    public func deleteIPAccessControlList(_ sid: SID, account: SID) async throws {
        try await write { db in
            try db.execute(
                sql: "DELETE FROM ip_access_control_list WHERE sid = ? AND account_sid = ?",
                arguments: [sid.rawValue, account.rawValue])
            guard db.changesCount > 0 else { throw PolicyStoreError.notFound(sid) }
        }
    }

    // MARK: - Inside a transaction

    static func fetchList(_ db: any StoreTransaction, _ sid: SID, account: SID) throws -> IPAccessControlListRecord {
        guard
            let row = try StoreRow.fetchOne(
                db,
                sql:
                    "SELECT \(StoredRows.listColumns) FROM ip_access_control_list l WHERE l.sid = ? AND l.account_sid = ?",
                arguments: [sid.rawValue, account.rawValue])
        else { throw PolicyStoreError.notFound(sid) }
        return try StoredRows.list(row)
    }

    static func insertList(_ db: any StoreTransaction, sid: SID, account: SID, friendlyName: String, at time: Int64) throws {
        try sid.require(.ipAccessControlList)
        try account.require(.account)
        if try Bool.fetchOne(
            db, sql: "SELECT EXISTS (SELECT 1 FROM ip_access_control_list WHERE sid = ?)", arguments: [sid.rawValue])
            == true
        {
            throw PolicyStoreError.sidTaken(sid)
        }
        try db.execute(
            sql: """
                INSERT INTO ip_access_control_list (sid, account_sid, friendly_name, date_created, date_updated)
                VALUES (?, ?, ?, ?, ?)
                """,
            arguments: [sid.rawValue, account.rawValue, friendlyName, time, time])
    }

    @discardableResult
    static func renameList(
        _ db: any StoreTransaction, _ sid: SID, account: SID, friendlyName: String, at time: Int64
    ) throws -> Bool {
        let stored = try fetchList(db, sid, account: account)
        guard stored.friendlyName != friendlyName else { return false }
        try db.execute(
            sql:
                "UPDATE ip_access_control_list SET friendly_name = ?, date_updated = ? WHERE sid = ? AND account_sid = ?",
            arguments: [friendlyName, time, sid.rawValue, account.rawValue])
        return true
    }
}
