
extension PolicyStore {
    /// Adds a credential for `username` to the credential list `list` of `account`.
    ///
    /// - Throws: ``PolicyStoreError/notFound(_:)`` for an unknown list,
    ///   ``PolicyStoreError/invalidUsername(_:reason:)``,
    ///   ``PolicyStoreError/usernameTaken(_:list:)`` when the list has that username.
    public func createCredential(
        account: SID, list: SID, username: String, secret: CredentialSecret
    ) async throws -> CredentialRecord {
        let sid = SID.random(.credential)
        let time = timestamp()
        return try await write { db in
            try Self.insertCredential(
                db, sid: sid, account: account, list: list, username: username, secret: secret, at: time)
            return try Self.fetchCredential(db, sid, list: list, account: account)
        }
    }

    /// The credential `sid` of the credential list `list` of `account`.
    ///
    /// - Throws: ``PolicyStoreError/notFound(_:)``.
    public func credential(_ sid: SID, list: SID, account: SID) async throws -> CredentialRecord {
        try await read { db in try Self.fetchCredential(db, sid, list: list, account: account) }
    }

    /// Up to `limit` credentials of the credential list `list` in SID order, starting after
    /// the SID `after` and skipping `offset` more.
    ///
    /// - Throws: ``PolicyStoreError/notFound(_:)`` when the account has no such list.
    public func credentials(
        list: SID, account: SID, after: SID? = nil, offset: Int = 0, limit: Int
    ) async throws -> [CredentialRecord] {
        try await read { db in
            _ = try Self.fetchCredentialList(db, list, account: account)
            return try StoreRow.fetchAll(
                db,
                sql: """
                    SELECT \(StoredRows.credentialColumns) FROM credential cr
                    WHERE cr.account_sid = ? AND cr.credential_list_sid = ? AND cr.sid > ?
                    ORDER BY cr.sid LIMIT ? OFFSET ?
                    """,
                arguments: [
                    account.rawValue, list.rawValue, after?.rawValue ?? "", max(0, limit), max(0, offset),
                ]
            ).map(StoredRows.credential)
        }
    }

    /// Replaces the password hashes of the credential `sid` (a password change). Hashes
    /// equal to the stored ones write nothing.
    ///
    /// - Throws: ``PolicyStoreError/notFound(_:)``.
    @discardableResult
    public func updateCredential(
        _ sid: SID, list: SID, account: SID, secret: CredentialSecret
    ) async throws -> CredentialRecord {
        let time = timestamp()
        return try await write { db in
            var credential = try Self.fetchCredential(db, sid, list: list, account: account)
            credential.secret = secret
            try Self.saveCredential(db, credential, at: time)
            return try Self.fetchCredential(db, sid, list: list, account: account)
        }
    }

    /// Deletes the credential `sid` from the credential list `list` of `account`.
    ///
    /// - Throws: ``PolicyStoreError/notFound(_:)``.
    public func deleteCredential(_ sid: SID, list: SID, account: SID) async throws {
        try await write { db in
            _ = try Self.fetchCredentialList(db, list, account: account)
            try db.execute(
                sql: "DELETE FROM credential WHERE sid = ? AND credential_list_sid = ? AND account_sid = ?",
                arguments: [sid.rawValue, list.rawValue, account.rawValue])
            guard db.changesCount > 0 else { throw PolicyStoreError.notFound(sid) }
        }
    }

    /// The realms the stored credentials' hashes were made for, in every account, sorted.
    ///
    /// A hash verifies only in the realm it was made for: the daemon calls this at start-up
    /// and warns when the answer holds a realm other than the one it challenges with.
    public func credentialRealms() async throws -> [String] {
        try await read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT realm FROM credential ORDER BY realm")
        }
    }

    // MARK: - Inside a transaction

    static func fetchCredential(_ db: any StoreTransaction, _ sid: SID, list: SID, account: SID) throws -> CredentialRecord {
        _ = try fetchCredentialList(db, list, account: account)
        guard
            let row = try StoreRow.fetchOne(
                db,
                sql: """
                    SELECT \(StoredRows.credentialColumns) FROM credential cr
                    WHERE cr.sid = ? AND cr.credential_list_sid = ? AND cr.account_sid = ?
                    """,
                arguments: [sid.rawValue, list.rawValue, account.rawValue])
        else { throw PolicyStoreError.notFound(sid) }
        return try StoredRows.credential(row)
    }

    /// Inserts a credential. `checked: false` skips the list's existence query for callers
    /// that know it exists; the username's shape and uniqueness are always checked.
    static func insertCredential(
        _ db: any StoreTransaction, sid: SID, account: SID, list: SID, username: String, secret: CredentialSecret,
        at time: Int64, checked: Bool = true
    ) throws {
        try sid.require(.credential)
        try CredentialRecord.checkUsername(username)
        if checked {
            _ = try fetchCredentialList(db, list, account: account)
        }
        if try Bool.fetchOne(
            db, sql: "SELECT EXISTS (SELECT 1 FROM credential WHERE credential_list_sid = ? AND username = ?)",
            arguments: [list.rawValue, username]) == true
        {
            throw PolicyStoreError.usernameTaken(username, list: list)
        }
        if try Bool.fetchOne(
            db, sql: "SELECT EXISTS (SELECT 1 FROM credential WHERE sid = ?)", arguments: [sid.rawValue]) == true
        {
            throw PolicyStoreError.sidTaken(sid)
        }
        try db.execute(
            sql: """
                INSERT INTO credential (
                    sid, account_sid, credential_list_sid, username, realm, ha1_md5, ha1_sha256, date_created,
                    date_updated)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                sid.rawValue, account.rawValue, list.rawValue, username, secret.realm, secret.ha1MD5,
                secret.ha1SHA256, time, time,
            ])
    }

    /// Writes `credential`'s secret if it differs from what is stored.
    @discardableResult
    static func saveCredential(_ db: any StoreTransaction, _ credential: CredentialRecord, at time: Int64) throws -> Bool {
        let stored = try fetchCredential(db, credential.sid, list: credential.listSID, account: credential.accountSID)
        guard stored.secret != credential.secret else { return false }
        try db.execute(
            sql: """
                UPDATE credential SET realm = ?, ha1_md5 = ?, ha1_sha256 = ?, date_updated = ?
                WHERE sid = ? AND account_sid = ?
                """,
            arguments: [
                credential.secret.realm, credential.secret.ha1MD5, credential.secret.ha1SHA256, time,
                credential.sid.rawValue, credential.accountSID.rawValue,
            ])
        return true
    }
}
