public import AccessControl

extension PolicyStore {
    /// Adds `prefix` to the list `list` of `account`.
    ///
    /// - Throws: ``PolicyStoreError/notFound(_:)`` for an unknown list,
    ///   ``PolicyStoreError/prefixAlreadyListed(_:list:)`` when the list has that prefix,
    ///   ``PolicyStoreError/prefixTooShort(_:minimum:)`` below ``prefixLengthMinimums``.
    public func createIPAddress(
        account: SID, list: SID, friendlyName: String, prefix: IPPrefix
    ) async throws -> IPAddressRecord {
        try Self.requireLongEnough(prefix, prefixLengthMinimums)
        let sid = SID.random(.ipAddress)
        let time = timestamp()
        return try await write { db in
            try Self.insertAddress(
                db, sid: sid, account: account, list: list, friendlyName: friendlyName, prefix: prefix, at: time)
            return try Self.fetchAddress(db, sid, list: list, account: account)
        }
    }

    /// The entry `sid` of the list `list` of `account`.
    ///
    /// - Throws: ``PolicyStoreError/notFound(_:)``.
    public func ipAddress(_ sid: SID, list: SID, account: SID) async throws -> IPAddressRecord {
        try await read { db in try Self.fetchAddress(db, sid, list: list, account: account) }
    }

    /// Up to `limit` entries of the list `list` in SID order, starting after the SID `after`
    /// and skipping `offset` more.
    ///
    /// - Throws: ``PolicyStoreError/notFound(_:)`` when the account has no such list.
    public func ipAddresses(
        list: SID, account: SID, after: SID? = nil, offset: Int = 0, limit: Int
    ) async throws -> [IPAddressRecord] {
        try await read { db in
            _ = try Self.fetchList(db, list, account: account)
            return try StoreRow.fetchAll(
                db,
                sql: """
                    SELECT \(StoredRows.addressColumns) FROM ip_address a
                    WHERE a.account_sid = ? AND a.ip_access_control_list_sid = ? AND a.sid > ?
                    ORDER BY a.sid LIMIT ? OFFSET ?
                    """,
                arguments: [
                    account.rawValue, list.rawValue, after?.rawValue ?? "", max(0, limit), max(0, offset),
                ]
            ).map(StoredRows.address)
        }
    }

    /// Changes the entry `sid` with `modify`, in one transaction.
    ///
    /// `modify` may change the friendly name and the prefix. When it changes nothing,
    /// nothing is written. An error thrown by `modify` aborts the update and is rethrown.
    ///
    /// - Throws: ``PolicyStoreError/notFound(_:)``,
    ///   ``PolicyStoreError/prefixAlreadyListed(_:list:)``,
    ///   ``PolicyStoreError/prefixTooShort(_:minimum:)`` when the prefix changes to one
    ///   below ``prefixLengthMinimums``.
    @discardableResult
    public func updateIPAddress(
        _ sid: SID, list: SID, account: SID, _ modify: @escaping @Sendable (inout IPAddressRecord) throws -> Void
    ) async throws -> IPAddressRecord {
        let time = timestamp()
        let minimums = prefixLengthMinimums
        return try await write { db in
            var entry = try Self.fetchAddress(db, sid, list: list, account: account)
            let stored = entry.prefix
            try modify(&entry)
            if entry.prefix != stored { try Self.requireLongEnough(entry.prefix, minimums) }
            try Self.saveAddress(db, entry, at: time)
            return try Self.fetchAddress(db, sid, list: list, account: account)
        }
    }

    /// Deletes the entry `sid` from the list `list` of `account`.
    ///
    /// - Throws: ``PolicyStoreError/notFound(_:)``.
    public func deleteIPAddress(_ sid: SID, list: SID, account: SID) async throws {
        try await write { db in
            _ = try Self.fetchList(db, list, account: account)
            try db.execute(
                sql: "DELETE FROM ip_address WHERE sid = ? AND ip_access_control_list_sid = ? AND account_sid = ?",
                arguments: [sid.rawValue, list.rawValue, account.rawValue])
            guard db.changesCount > 0 else { throw PolicyStoreError.notFound(sid) }
        }
    }

    /// Every entry of every account shorter than `minimums` allows, in SID order: the
    /// entries stored before a minimum was raised, which the daemon reports at start-up.
    public func ipAddresses(shorterThan minimums: PrefixLengthMinimums) async throws -> [IPAddressRecord] {
        try await read { db in
            try StoreRow.fetchAll(
                db,
                sql: """
                    SELECT \(StoredRows.addressColumns) FROM ip_address a
                    WHERE (length(a.network) = 4 AND a.prefix_length < ?)
                       OR (length(a.network) = 16 AND (a.prefix_length < ? OR a.prefix_length < 96 + ?))
                    ORDER BY a.sid
                    """,
                arguments: [minimums.ipv4, minimums.ipv6, minimums.ipv4]
            )
            // The query over-selects IPv6 rows that may be IPv4-mapped; the minimums decide.
            .map(StoredRows.address).filter { minimums.violation(by: $0.prefix) != nil }
        }
    }

    /// Throws ``PolicyStoreError/prefixTooShort(_:minimum:)`` when `prefix` is shorter
    /// than `minimums` allows.
    static func requireLongEnough(_ prefix: IPPrefix, _ minimums: PrefixLengthMinimums) throws(PolicyStoreError) {
        if let minimum = minimums.violation(by: prefix) { throw .prefixTooShort(prefix, minimum: minimum) }
    }

    // MARK: - Inside a transaction

    static func fetchAddress(_ db: any StoreTransaction, _ sid: SID, list: SID, account: SID) throws -> IPAddressRecord {
        _ = try fetchList(db, list, account: account)
        guard
            let row = try StoreRow.fetchOne(
                db,
                sql: """
                    SELECT \(StoredRows.addressColumns) FROM ip_address a
                    WHERE a.sid = ? AND a.ip_access_control_list_sid = ? AND a.account_sid = ?
                    """,
                arguments: [sid.rawValue, list.rawValue, account.rawValue])
        else { throw PolicyStoreError.notFound(sid) }
        return try StoredRows.address(row)
    }

    /// Throws ``PolicyStoreError/prefixAlreadyListed(_:list:)`` if an entry other than
    /// `except` of `list` has `prefix`.
    static func requireUnlistedPrefix(_ db: any StoreTransaction, _ prefix: IPPrefix, list: SID, except: SID?) throws {
        let holder = try String.fetchOne(
            db,
            sql:
                "SELECT sid FROM ip_address WHERE ip_access_control_list_sid = ? AND network = ? AND prefix_length = ?",
            arguments: [list.rawValue, prefix.storedNetwork, prefix.length])
        if let holder, holder != except?.rawValue {
            throw PolicyStoreError.prefixAlreadyListed(prefix, list: list)
        }
    }

    /// Inserts an entry, after checking that its list exists and lacks the prefix (with
    /// useful errors; the schema enforces both as well).
    static func insertAddress(
        _ db: any StoreTransaction, sid: SID, account: SID, list: SID, friendlyName: String, prefix: IPPrefix, at time: Int64
    ) throws {
        try sid.require(.ipAddress)
        _ = try fetchList(db, list, account: account)
        try requireUnlistedPrefix(db, prefix, list: list, except: nil)
        try insertUncheckedAddress(
            db, sid: sid, account: account, list: list, friendlyName: friendlyName, prefix: prefix, at: time)
    }

    /// Inserts an address, unchecked: the caller knows the list exists and lacks the
    /// prefix; the schema still enforces both.
    static func insertUncheckedAddress(
        _ db: any StoreTransaction, sid: SID, account: SID, list: SID, friendlyName: String, prefix: IPPrefix,
        at time: Int64
    ) throws {
        try insertUncheckedAddresses(db, [(sid, friendlyName, prefix)], account: account, list: list, at: time)
    }

    /// The most addresses ``insertUncheckedAddresses(_:_:account:list:at:)`` writes in one
    /// statement (8 parameters each: SQLite allows 32,766 in a statement, PostgreSQL 65,535).
    static let addressBatchSize = 500

    /// Inserts `entries` (SID, friendly name, prefix) into `list`, unchecked as
    /// ``insertUncheckedAddress(_:sid:account:list:friendlyName:prefix:at:)``, in one
    /// statement. Each batch size is compiled once per connection and kept.
    ///
    /// - Precondition: at most ``addressBatchSize`` entries.
    static func insertUncheckedAddresses(
        _ db: any StoreTransaction, _ entries: [(sid: SID, friendlyName: String, prefix: IPPrefix)], account: SID,
        list: SID, at time: Int64
    ) throws {
        guard !entries.isEmpty else { return }
        precondition(entries.count <= addressBatchSize, "a batch of \(entries.count) addresses")
        var values: [SQLValue] = []
        values.reserveCapacity(entries.count * 8)
        for entry in entries {
            values += [
                .text(entry.sid.rawValue), .text(account.rawValue), .text(list.rawValue), .text(entry.friendlyName),
                .blob(entry.prefix.storedNetwork), .integer(Int64(entry.prefix.length)), .integer(time), .integer(time),
            ]
        }
        let rows = repeatElement("(?, ?, ?, ?, ?, ?, ?, ?)", count: entries.count).joined(separator: ", ")
        try db.execute(
            sql: """
                INSERT INTO ip_address (
                    sid, account_sid, ip_access_control_list_sid, friendly_name, network, prefix_length, date_created,
                    date_updated)
                VALUES \(rows)
                """,
            arguments: StoreArguments(values))
    }

    /// Writes `entry`'s friendly name and prefix if they differ from what is stored.
    @discardableResult
    static func saveAddress(_ db: any StoreTransaction, _ entry: IPAddressRecord, at time: Int64) throws -> Bool {
        let stored = try fetchAddress(db, entry.sid, list: entry.listSID, account: entry.accountSID)
        guard stored.friendlyName != entry.friendlyName || stored.prefix != entry.prefix else { return false }
        if stored.prefix != entry.prefix {
            try requireUnlistedPrefix(db, entry.prefix, list: entry.listSID, except: entry.sid)
        }
        try db.execute(
            sql: """
                UPDATE ip_address SET friendly_name = ?, network = ?, prefix_length = ?, date_updated = ?
                WHERE sid = ? AND account_sid = ?
                """,
            arguments: [
                entry.friendlyName, entry.prefix.storedNetwork, entry.prefix.length, time, entry.sid.rawValue,
                entry.accountSID.rawValue,
            ])
        return true
    }
}
