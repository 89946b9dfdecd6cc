
extension PolicyStore {
    /// Maps the credential list `list` to the domain `domain` (both of `account`) by `kind`.
    ///
    /// - Throws: ``PolicyStoreError/notFound(_:)`` naming the domain or the list that the
    ///   account lacks, ``PolicyStoreError/credentialListAlreadyMapped(_:domain:list:)``.
    public func createCredentialListMapping(
        _ kind: CredentialMappingKind, domain: SID, list: SID, account: SID
    ) async throws -> CredentialListMappingRecord {
        let time = timestamp()
        return try await write { db in
            try Self.insertCredentialMapping(db, kind, domain: domain, list: list, account: account, at: time)
            return try Self.fetchCredentialMapping(db, kind, domain: domain, list: list, account: account)
        }
    }

    /// The mapping of the credential list `list` to the domain `domain` by `kind`.
    ///
    /// - Throws: ``PolicyStoreError/notFound(_:)`` for an unknown domain,
    ///   ``PolicyStoreError/credentialMappingNotFound(_:domain:list:)`` when the list is not
    ///   mapped.
    public func credentialListMapping(
        _ kind: CredentialMappingKind, domain: SID, list: SID, account: SID
    ) async throws -> CredentialListMappingRecord {
        try await read { db in
            try Self.fetchCredentialMapping(db, kind, domain: domain, list: list, account: account)
        }
    }

    /// Up to `limit` credential list mappings of `kind` of the domain `domain`, in list SID
    /// order, starting after the list SID `after` and skipping `offset` more.
    ///
    /// - Throws: ``PolicyStoreError/notFound(_:)`` when the account has no such domain.
    public func credentialListMappings(
        _ kind: CredentialMappingKind, domain: SID, account: SID, after: SID? = nil, offset: Int = 0, limit: Int
    ) async throws -> [CredentialListMappingRecord] {
        try await read { db in
            _ = try Self.fetchDomain(db, domain, account: account)
            return try StoreRow.fetchAll(
                db,
                sql: """
                    SELECT \(StoredRows.credentialMappingColumns) FROM credential_list_mapping cm
                    JOIN credential_list cl ON cl.sid = cm.credential_list_sid
                    WHERE cm.account_sid = ? AND cm.domain_sid = ? AND cm.kind = ? AND cm.credential_list_sid > ?
                    ORDER BY cm.credential_list_sid LIMIT ? OFFSET ?
                    """,
                arguments: [
                    account.rawValue, domain.rawValue, kind.rawValue, after?.rawValue ?? "", max(0, limit),
                    max(0, offset),
                ]
            ).map(StoredRows.credentialMapping)
        }
    }

    /// Removes the mapping of the credential list `list` to the domain `domain` by `kind`;
    /// the list itself stays.
    ///
    /// - Throws: ``PolicyStoreError/notFound(_:)`` for an unknown domain,
    ///   ``PolicyStoreError/credentialMappingNotFound(_:domain:list:)``.
    public func deleteCredentialListMapping(
        _ kind: CredentialMappingKind, domain: SID, list: SID, account: SID
    ) async throws {
        try await write { db in
            _ = try Self.fetchDomain(db, domain, account: account)
            try db.execute(
                sql: """
                    DELETE FROM credential_list_mapping
                    WHERE account_sid = ? AND domain_sid = ? AND kind = ? AND credential_list_sid = ?
                    """,
                arguments: [account.rawValue, domain.rawValue, kind.rawValue, list.rawValue])
            guard db.changesCount > 0 else {
                throw PolicyStoreError.credentialMappingNotFound(kind, domain: domain, list: list)
            }
        }
    }

    // MARK: - Inside a transaction

    static func fetchCredentialMapping(
        _ db: any StoreTransaction, _ kind: CredentialMappingKind, domain: SID, list: SID, account: SID
    ) throws -> CredentialListMappingRecord {
        _ = try fetchDomain(db, domain, account: account)
        guard
            let row = try StoreRow.fetchOne(
                db,
                sql: """
                    SELECT \(StoredRows.credentialMappingColumns) FROM credential_list_mapping cm
                    JOIN credential_list cl ON cl.sid = cm.credential_list_sid
                    WHERE cm.account_sid = ? AND cm.domain_sid = ? AND cm.kind = ? AND cm.credential_list_sid = ?
                    """,
                arguments: [account.rawValue, domain.rawValue, kind.rawValue, list.rawValue])
        else { throw PolicyStoreError.credentialMappingNotFound(kind, domain: domain, list: list) }
        return try StoredRows.credentialMapping(row)
    }

    static func insertCredentialMapping(
        _ db: any StoreTransaction, _ kind: CredentialMappingKind, domain: SID, list: SID, account: SID, at time: Int64
    ) throws {
        _ = try fetchDomain(db, domain, account: account)
        _ = try fetchCredentialList(db, list, account: account)
        let exists = try Bool.fetchOne(
            db,
            sql: """
                SELECT EXISTS (SELECT 1 FROM credential_list_mapping
                WHERE domain_sid = ? AND kind = ? AND credential_list_sid = ?)
                """,
            arguments: [domain.rawValue, kind.rawValue, list.rawValue])
        guard exists != true else {
            throw PolicyStoreError.credentialListAlreadyMapped(kind, domain: domain, list: list)
        }
        try db.execute(
            sql: """
                INSERT INTO credential_list_mapping (
                    kind, account_sid, domain_sid, credential_list_sid, date_created, date_updated)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [kind.rawValue, account.rawValue, domain.rawValue, list.rawValue, time, time])
    }
}
