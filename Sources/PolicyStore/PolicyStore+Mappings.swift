
extension PolicyStore {
    /// Maps the list `list` to the domain `domain` (both of `account`) by `kind`.
    ///
    /// - Throws: ``PolicyStoreError/notFound(_:)`` naming the domain or the list that the
    ///   account lacks, ``PolicyStoreError/listAlreadyMapped(_:domain:list:)``.
    public func createMapping(
        _ kind: MappingKind, domain: SID, list: SID, account: SID
    ) async throws -> MappingRecord {
        let time = timestamp()
        return try await write { db in
            try Self.insertMapping(db, kind, domain: domain, list: list, account: account, at: time)
            return try Self.fetchMapping(db, kind, domain: domain, list: list, account: account)
        }
    }

    /// The mapping of the list `list` to the domain `domain` by `kind`.
    ///
    /// - Throws: ``PolicyStoreError/notFound(_:)`` for an unknown domain,
    ///   ``PolicyStoreError/mappingNotFound(_:domain:list:)`` when the list is not mapped.
    public func mapping(_ kind: MappingKind, domain: SID, list: SID, account: SID) async throws -> MappingRecord {
        try await read { db in try Self.fetchMapping(db, kind, domain: domain, list: list, account: account) }
    }

    /// Up to `limit` mappings of `kind` of the domain `domain`, in list SID order, starting
    /// after the list SID `after` and skipping `offset` more.
    ///
    /// - Throws: ``PolicyStoreError/notFound(_:)`` when the account has no such domain.
    public func mappings(
        _ kind: MappingKind, domain: SID, account: SID, after: SID? = nil, offset: Int = 0, limit: Int
    ) async throws -> [MappingRecord] {
        try await read { db in
            _ = try Self.fetchDomain(db, domain, account: account)
            return try StoreRow.fetchAll(
                db,
                sql: """
                    SELECT \(StoredRows.mappingColumns) FROM ip_access_control_list_mapping m
                    JOIN ip_access_control_list l ON l.sid = m.ip_access_control_list_sid
                    WHERE m.account_sid = ? AND m.domain_sid = ? AND m.kind = ? AND m.ip_access_control_list_sid > ?
                    ORDER BY m.ip_access_control_list_sid LIMIT ? OFFSET ?
                    """,
                arguments: [
                    account.rawValue, domain.rawValue, kind.rawValue, after?.rawValue ?? "", max(0, limit),
                    max(0, offset),
                ]
            ).map(StoredRows.mapping)
        }
    }

    /// Removes the mapping of the list `list` to the domain `domain` by `kind`; the list
    /// itself stays.
    ///
    /// - Throws: ``PolicyStoreError/notFound(_:)`` for an unknown domain,
    ///   ``PolicyStoreError/mappingNotFound(_:domain:list:)``.
    public func deleteMapping(_ kind: MappingKind, domain: SID, list: SID, account: SID) async throws {
        try await write { db in
            _ = try Self.fetchDomain(db, domain, account: account)
            try db.execute(
                sql: """
                    DELETE FROM ip_access_control_list_mapping
                    WHERE account_sid = ? AND domain_sid = ? AND kind = ? AND ip_access_control_list_sid = ?
                    """,
                arguments: [account.rawValue, domain.rawValue, kind.rawValue, list.rawValue])
            guard db.changesCount > 0 else { throw PolicyStoreError.mappingNotFound(kind, domain: domain, list: list) }
        }
    }

    // MARK: - Inside a transaction

    static func fetchMapping(
        _ db: any StoreTransaction, _ kind: MappingKind, domain: SID, list: SID, account: SID
    ) throws -> MappingRecord {
        _ = try fetchDomain(db, domain, account: account)
        guard
            let row = try StoreRow.fetchOne(
                db,
                sql: """
                    SELECT \(StoredRows.mappingColumns) FROM ip_access_control_list_mapping m
                    JOIN ip_access_control_list l ON l.sid = m.ip_access_control_list_sid
                    WHERE m.account_sid = ? AND m.domain_sid = ? AND m.kind = ? AND m.ip_access_control_list_sid = ?
                    """,
                arguments: [account.rawValue, domain.rawValue, kind.rawValue, list.rawValue])
        else { throw PolicyStoreError.mappingNotFound(kind, domain: domain, list: list) }
        return try StoredRows.mapping(row)
    }

    static func insertMapping(
        _ db: any StoreTransaction, _ kind: MappingKind, domain: SID, list: SID, account: SID, at time: Int64
    ) throws {
        _ = try fetchDomain(db, domain, account: account)
        _ = try fetchList(db, list, account: account)
        let exists = try Bool.fetchOne(
            db,
            sql: """
                SELECT EXISTS (SELECT 1 FROM ip_access_control_list_mapping
                WHERE domain_sid = ? AND kind = ? AND ip_access_control_list_sid = ?)
                """,
            arguments: [domain.rawValue, kind.rawValue, list.rawValue])
        guard exists != true else { throw PolicyStoreError.listAlreadyMapped(kind, domain: domain, list: list) }
        try db.execute(
            sql: """
                INSERT INTO ip_access_control_list_mapping (
                    kind, account_sid, domain_sid, ip_access_control_list_sid, date_created, date_updated)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [kind.rawValue, account.rawValue, domain.rawValue, list.rawValue, time, time])
    }
}
