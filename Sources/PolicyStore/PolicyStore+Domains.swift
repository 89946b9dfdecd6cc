public import AccessControl

extension PolicyStore {
    /// Creates a domain in `account`.
    ///
    /// - Throws: ``PolicyStoreError/domainNameTaken(_:)`` when any account has a domain of
    ///   that name.
    public func createDomain(
        account: SID, name: DomainName, settings: DomainSettings = DomainSettings()
    ) async throws -> DomainRecord {
        try account.require(.account)
        let sid = SID.random(.domain)
        let time = timestamp()
        return try await write { db in
            try Self.insertDomain(db, sid: sid, account: account, name: name, settings: settings, at: time)
            return try Self.fetchDomain(db, sid, account: account)
        }
    }

    /// The domain `sid` of `account`.
    ///
    /// - Throws: ``PolicyStoreError/notFound(_:)`` when the account has no such domain.
    public func domain(_ sid: SID, account: SID) async throws -> DomainRecord {
        try await read { db in try Self.fetchDomain(db, sid, account: account) }
    }

    /// The domain of `account` named `name`, or `nil` when the account has none of that
    /// name (whether or not another account has).
    public func domain(named name: DomainName, account: SID) async throws -> DomainRecord? {
        try await read { db in
            try StoreRow.fetchOne(
                db,
                sql: """
                    SELECT \(StoredRows.domainColumns(db.dialect)) FROM domain d
                    WHERE \(db.dialect.equalsIgnoringCase("d.domain_name")) AND d.account_sid = ?
                    """,
                arguments: [name.normalized, account.rawValue]
            ).map(StoredRows.domain)
        }
    }

    /// Up to `limit` domains of `account` in SID order, starting after the SID `after`
    /// and skipping `offset` more.
    ///
    /// SID order makes `after` a stable cursor: records added or removed elsewhere in the
    /// order, or the record `after` itself being deleted, do not shift later pages.
    public func domains(
        account: SID, after: SID? = nil, offset: Int = 0, limit: Int
    ) async throws -> [DomainRecord] {
        try await read { db in
            try StoreRow.fetchAll(
                db,
                sql: """
                    SELECT \(StoredRows.domainColumns(db.dialect)) FROM domain d
                    WHERE d.account_sid = ? AND d.sid > ? ORDER BY d.sid LIMIT ? OFFSET ?
                    """,
                arguments: [account.rawValue, after?.rawValue ?? "", max(0, limit), max(0, offset)]
            ).map(StoredRows.domain)
        }
    }

    /// Changes the domain `sid` of `account` with `modify`, in one transaction.
    ///
    /// `modify` may change the name and the settings. When it changes nothing, nothing is
    /// written: `date_updated` and the policy generation stay as they were. An error thrown
    /// by `modify` aborts the update and is rethrown.
    ///
    /// - Throws: ``PolicyStoreError/notFound(_:)``, ``PolicyStoreError/domainNameTaken(_:)``.
    @discardableResult
    public func updateDomain(
        _ sid: SID, account: SID, _ modify: @escaping @Sendable (inout DomainRecord) throws -> Void
    ) async throws -> DomainRecord {
        let time = timestamp()
        return try await write { db in
            var domain = try Self.fetchDomain(db, sid, account: account)
            try modify(&domain)
            try Self.saveDomain(db, domain, at: time)
            return try Self.fetchDomain(db, sid, account: account)
        }
    }

    /// Deletes the domain `sid` of `account` and its mappings.
    ///
    /// - Throws: ``PolicyStoreError/notFound(_:)``.
    public func deleteDomain(_ sid: SID, account: SID) async throws {
        try await write { db in
            try db.execute(
                sql: "DELETE FROM domain WHERE sid = ? AND account_sid = ?",
                arguments: [sid.rawValue, account.rawValue])
            guard db.changesCount > 0 else { throw PolicyStoreError.notFound(sid) }
        }
    }

    // MARK: - Inside a transaction

    static func fetchDomain(_ db: any StoreTransaction, _ sid: SID, account: SID) throws -> DomainRecord {
        guard
            let row = try StoreRow.fetchOne(
                db, sql: "SELECT \(StoredRows.domainColumns(db.dialect)) FROM domain d WHERE d.sid = ? AND d.account_sid = ?",
                arguments: [sid.rawValue, account.rawValue])
        else { throw PolicyStoreError.notFound(sid) }
        return try StoredRows.domain(row)
    }

    /// Throws ``PolicyStoreError/domainNameTaken(_:)`` if a domain other than `except` has
    /// `name`, in any account.
    static func requireFreeDomainName(_ db: any StoreTransaction, _ name: DomainName, except: SID?) throws {
        let holder = try String.fetchOne(
            db, sql: "SELECT sid FROM domain WHERE \(db.dialect.equalsIgnoringCase("domain_name"))",
            arguments: [name.normalized])
        if let holder, holder != except?.rawValue {
            throw PolicyStoreError.domainNameTaken(name)
        }
    }

    static func insertDomain(
        _ db: any StoreTransaction, sid: SID, account: SID, name: DomainName, settings: DomainSettings, at time: Int64
    ) throws {
        try sid.require(.domain)
        try account.require(.account)
        try requireFreeDomainName(db, name, except: nil)
        if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM domain WHERE sid = ?)", arguments: [sid.rawValue])
            == true
        {
            throw PolicyStoreError.sidTaken(sid)
        }
        try db.execute(
            sql: """
                INSERT INTO domain (
                    sid, account_sid, domain_name, friendly_name, voice_url, voice_method, voice_fallback_url,
                    voice_fallback_method, voice_status_callback_url, voice_status_callback_method, sip_registration,
                    emergency_calling_enabled, secure, byoc_trunk_sid, emergency_caller_sid, date_created, date_updated)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [sid.rawValue, account.rawValue, name.normalized] + settingsArguments(settings) + [time, time]
        )
    }

    /// Writes `domain`'s name and settings if they differ from what is stored.
    @discardableResult
    static func saveDomain(_ db: any StoreTransaction, _ domain: DomainRecord, at time: Int64) throws -> Bool {
        let stored = try fetchDomain(db, domain.sid, account: domain.accountSID)
        guard stored.name != domain.name || stored.settings != domain.settings else { return false }
        if stored.name != domain.name {
            try requireFreeDomainName(db, domain.name, except: domain.sid)
        }
        try db.execute(
            sql: """
                UPDATE domain SET
                    domain_name = ?, friendly_name = ?, voice_url = ?, voice_method = ?, voice_fallback_url = ?,
                    voice_fallback_method = ?, voice_status_callback_url = ?, voice_status_callback_method = ?,
                    sip_registration = ?, emergency_calling_enabled = ?, secure = ?, byoc_trunk_sid = ?,
                    emergency_caller_sid = ?, date_updated = ?
                WHERE sid = ? AND account_sid = ?
                """,
            arguments: [domain.name.normalized] + settingsArguments(domain.settings)
                + [time, domain.sid.rawValue, domain.accountSID.rawValue]
        )
        return true
    }

    private static func settingsArguments(_ settings: DomainSettings) -> StoreArguments {
        [
            settings.friendlyName, settings.voiceURL, settings.voiceMethod, settings.voiceFallbackURL,
            settings.voiceFallbackMethod, settings.voiceStatusCallbackURL, settings.voiceStatusCallbackMethod,
            settings.sipRegistration, settings.emergencyCallingEnabled, settings.secure, settings.byocTrunkSID,
            settings.emergencyCallerSID,
        ]
    }
}
