
extension PolicyStore {
    /// Creates an empty credential list in `account`.
    public func createCredentialList(account: SID, friendlyName: String) async throws -> CredentialListRecord {
        try account.require(.account)
        let sid = SID.random(.credentialList)
        let time = timestamp()
        return try await write { db in
            try Self.insertCredentialList(db, sid: sid, account: account, friendlyName: friendlyName, at: time)
            return try Self.fetchCredentialList(db, sid, account: account)
        }
    }

    /// The credential list `sid` of `account`.
    ///
    /// - Throws: ``PolicyStoreError/notFound(_:)``.
    public func credentialList(_ sid: SID, account: SID) async throws -> CredentialListRecord {
        try await read { db in try Self.fetchCredentialList(db, sid, account: account) }
    }

    /// Up to `limit` credential lists of `account` in SID order, starting after the SID
    /// `after` and skipping `offset` more.
    public func credentialLists(
        account: SID, after: SID? = nil, offset: Int = 0, limit: Int
    ) async throws -> [CredentialListRecord] {
        try await read { db in
            try StoreRow.fetchAll(
                db,
                sql: """
                    SELECT \(StoredRows.credentialListColumns) FROM credential_list cl
                    WHERE cl.account_sid = ? AND cl.sid > ? ORDER BY cl.sid LIMIT ? OFFSET ?
                    """,
                arguments: [account.rawValue, after?.rawValue ?? "", max(0, limit), max(0, offset)]
            ).map(StoredRows.credentialList)
        }
    }

    /// Renames the credential list `sid` of `account`. Renaming to the current name writes
    /// nothing.
    ///
    /// - Throws: ``PolicyStoreError/notFound(_:)``.
    @discardableResult
    public func renameCredentialList(
        _ sid: SID, account: SID, friendlyName: String
    ) async throws -> CredentialListRecord {
        let time = timestamp()
        return try await write { db in
            try Self.renameCredentialList(db, sid, account: account, friendlyName: friendlyName, at: time)
            return try Self.fetchCredentialList(db, sid, account: account)
        }
    }

    /// Deletes the credential list `sid` of `account`, with its credentials and its
    /// mappings to domains.
    ///
    /// - Throws: ``PolicyStoreError/notFound(_:)``.
    public func deleteCredentialList(_ sid: SID, account: SID) async throws {
        try await write { db in
            try db.execute(
                sql: "DELETE FROM credential_list WHERE sid = ? AND account_sid = ?",
                arguments: [sid.rawValue, account.rawValue])
            guard db.changesCount > 0 else { throw PolicyStoreError.notFound(sid) }
        }
    }

    // MARK: - Inside a transaction

    static func fetchCredentialList(_ db: any StoreTransaction, _ sid: SID, account: SID) throws -> CredentialListRecord {
        guard
            let row = try StoreRow.fetchOne(
                db,
                sql: """
                    SELECT \(StoredRows.credentialListColumns) FROM credential_list cl
                    WHERE cl.sid = ? AND cl.account_sid = ?
                    """,
                arguments: [sid.rawValue, account.rawValue])
        else { throw PolicyStoreError.notFound(sid) }
        return try StoredRows.credentialList(row)
    }

    static func insertCredentialList(
        _ db: any StoreTransaction, sid: SID, account: SID, friendlyName: String, at time: Int64
    ) throws {
        try sid.require(.credentialList)
        try account.require(.account)
        if try Bool.fetchOne(
            db, sql: "SELECT EXISTS (SELECT 1 FROM credential_list WHERE sid = ?)", arguments: [sid.rawValue])
            == true
        {
            throw PolicyStoreError.sidTaken(sid)
        }
        try db.execute(
            sql: """
                INSERT INTO credential_list (sid, account_sid, friendly_name, date_created, date_updated)
                VALUES (?, ?, ?, ?, ?)
                """,
            arguments: [sid.rawValue, account.rawValue, friendlyName, time, time])
    }

    @discardableResult
    static func renameCredentialList(
        _ db: any StoreTransaction, _ sid: SID, account: SID, friendlyName: String, at time: Int64
    ) throws -> Bool {
        let stored = try fetchCredentialList(db, sid, account: account)
        guard stored.friendlyName != friendlyName else { return false }
        try db.execute(
            sql: "UPDATE credential_list SET friendly_name = ?, date_updated = ? WHERE sid = ? AND account_sid = ?",
            arguments: [friendlyName, time, sid.rawValue, account.rawValue])
        return true
    }
}
