import AccessControl

extension PolicyStore {
    /// The whole store as a ``PolicyDocument``: every account that has records, with every
    /// SID, so that applying the export to any store recreates exactly these records.
    ///
    /// Accounts are in SID order, lists in SID order, addresses in prefix order,
    /// credentials in username order, domains in name order and mappings in list SID order,
    /// so that exports diff well in git. Credentials are exported as their digest hashes.
    public func export() async throws -> PolicyDocument {
        try await read { db in
            let accounts = try String.fetchAll(
                db,
                sql: """
                    SELECT account_sid FROM domain UNION SELECT account_sid FROM ip_access_control_list
                    UNION SELECT account_sid FROM credential_list ORDER BY 1
                    """)
            return PolicyDocument(accounts: try accounts.map { try Self.exportAccount(db, $0) })
        }
    }

    /// Makes the store match `document`; see ``PolicyDocument`` for how records are
    /// matched and what `prune` removes.
    ///
    /// The document is checked completely before anything is written, and it is applied
    /// in one transaction: it takes effect whole or not at all. Applying a document the
    /// store already matches writes nothing and leaves the generation as it was.
    ///
    /// - Throws: ``PolicyDocumentError``.
    @discardableResult
    public func apply(_ document: PolicyDocument, prune: Bool = false) async throws -> PolicyApplyResult {
        let accounts = try document.parsed()
        let minimums = prefixLengthMinimums
        for account in accounts {
            for list in account.lists {
                for (index, address) in list.addresses.enumerated() {
                    guard let minimum = minimums.violation(by: address.prefix) else { continue }
                    throw PolicyDocumentError.invalidAddress(
                        path: list.addressPath(index), address.prefix.description,
                        reason: "it is shorter than /\(minimum), the shortest \(address.prefix.canonical.family.name) prefix "
                            + "allowed (policy.min_prefix_length_ipv4 / _ipv6)")
                }
            }
        }
        let time = timestamp()
        // A large document is journaled as one reload, not address by address.
        let addressCount = accounts.reduce(0) { $0 + $1.lists.reduce(0) { $0 + $1.addresses.count } }
        let journaledAsReload = addressCount > PolicyJournal.collapseThreshold
        let (counts, generation) = try await writeReportingGeneration(journaledAsReload: journaledAsReload) { db in
            var context = ApplyContext(
                newAddressSIDs: SID.randomAscending(.ipAddress, count: addressCount).makeIterator(),
                triggers: journaledAsReload ? PolicyJournal.AddressTriggerSuspension(db) : nil)
            var counts = ApplyCounts()
            for account in accounts {
                try Self.apply(account, prune: prune, db: db, at: time, counts: &counts, context: &context)
            }
            try context.triggers?.restore()
            return counts
        }
        return PolicyApplyResult(
            created: counts.created, updated: counts.updated, deleted: counts.deleted, generation: generation)
    }

    // MARK: - Export

    private static func exportAccount(_ db: any StoreTransaction, _ accountText: String) throws -> PolicyDocument.Account {
        var addressesByList: [SID: [IPAddressRecord]] = [:]
        for row in try StoreRow.fetchAll(
            db, sql: "SELECT \(StoredRows.addressColumns) FROM ip_address a WHERE a.account_sid = ?",
            arguments: [accountText])
        {
            let address = try StoredRows.address(row)
            addressesByList[address.listSID, default: []].append(address)
        }
        let lists = try StoreRow.fetchAll(
            db,
            sql:
                "SELECT \(StoredRows.listColumns) FROM ip_access_control_list l WHERE l.account_sid = ? ORDER BY l.sid",
            arguments: [accountText]
        ).map(StoredRows.list)

        var mappings: [SID: [MappingKind: [String]]] = [:]
        for row in try StoreRow.fetchAll(
            db,
            sql: """
                SELECT kind, domain_sid, ip_access_control_list_sid FROM ip_access_control_list_mapping
                WHERE account_sid = ? ORDER BY ip_access_control_list_sid
                """,
            arguments: [accountText])
        {
            let kindText: String = try row.decode(atIndex: 0)
            guard let kind = MappingKind(rawValue: kindText) else {
                throw PolicyStoreError.corruptRecord(
                    table: "ip_access_control_list_mapping", sid: try row.decode(atIndex: 1), reason: "kind \(kindText)"
                )
            }
            let domain = try StoredRows.sid(
                try row.decode(atIndex: 1), .domain, table: "ip_access_control_list_mapping")
            mappings[domain, default: [:]][kind, default: []].append(try row.decode(atIndex: 2))
        }
        let domains = try StoreRow.fetchAll(
            db, sql: "SELECT \(StoredRows.domainColumns(db.dialect)) FROM domain d WHERE d.account_sid = ? ORDER BY d.domain_name",
            arguments: [accountText]
        ).map(StoredRows.domain)

        var credentialsByList: [SID: [CredentialRecord]] = [:]
        for row in try StoreRow.fetchAll(
            db,
            sql:
                "SELECT \(StoredRows.credentialColumns) FROM credential cr WHERE cr.account_sid = ? ORDER BY cr.username",
            arguments: [accountText])
        {
            let credential = try StoredRows.credential(row)
            credentialsByList[credential.listSID, default: []].append(credential)
        }
        let credentialLists = try StoreRow.fetchAll(
            db,
            sql: """
                SELECT \(StoredRows.credentialListColumns) FROM credential_list cl WHERE cl.account_sid = ?
                ORDER BY cl.sid
                """,
            arguments: [accountText]
        ).map(StoredRows.credentialList)
        var credentialMappings: [SID: [CredentialMappingKind: [String]]] = [:]
        for row in try StoreRow.fetchAll(
            db,
            sql: """
                SELECT kind, domain_sid, credential_list_sid FROM credential_list_mapping
                WHERE account_sid = ? ORDER BY credential_list_sid
                """,
            arguments: [accountText])
        {
            let kindText: String = try row.decode(atIndex: 0)
            guard let kind = CredentialMappingKind(rawValue: kindText) else {
                throw PolicyStoreError.corruptRecord(
                    table: "credential_list_mapping", sid: try row.decode(atIndex: 1), reason: "kind \(kindText)")
            }
            let domain = try StoredRows.sid(try row.decode(atIndex: 1), .domain, table: "credential_list_mapping")
            credentialMappings[domain, default: [:]][kind, default: []].append(try row.decode(atIndex: 2))
        }

        return PolicyDocument.Account(
            sid: accountText,
            domains: domains.map { domain in
                PolicyDocument.Domain(
                    sid: domain.sid.rawValue,
                    domainName: domain.name.normalized,
                    settings: domain.settings,
                    ipAccessControlListMappings: mappings[domain.sid]?[.legacy] ?? [],
                    authCallsIPAccessControlListMappings: mappings[domain.sid]?[.authCalls] ?? [],
                    credentialListMappings: credentialMappings[domain.sid]?[.legacy] ?? [],
                    authCallsCredentialListMappings: credentialMappings[domain.sid]?[.authCalls] ?? [],
                    authRegistrationsCredentialListMappings: credentialMappings[domain.sid]?[.authRegistrations] ?? [])
            },
            ipAccessControlLists: lists.map { list in
                PolicyDocument.IPAccessControlList(
                    sid: list.sid.rawValue,
                    friendlyName: list.friendlyName,
                    ipAddresses: (addressesByList[list.sid] ?? []).sorted { $0.prefix < $1.prefix }.map { entry in
                        // A zero length is written in slash notation, the only way to say /0
                        // (a `cidr_prefix_length` of 0 means the entire address).
                        entry.prefix.length == 0
                            ? PolicyDocument.Address(friendlyName: entry.friendlyName, ipAddress: entry.prefix.description)
                            : PolicyDocument.Address(
                                friendlyName: entry.friendlyName, ipAddress: entry.prefix.network.description,
                                cidrPrefixLength: entry.prefix.length)
                    })
            },
            credentialLists: credentialLists.map { list in
                PolicyDocument.CredentialList(
                    sid: list.sid.rawValue,
                    friendlyName: list.friendlyName,
                    credentials: (credentialsByList[list.sid] ?? []).map { credential in
                        PolicyDocument.Credential(
                            sid: credential.sid.rawValue, username: credential.username, secret: credential.secret)
                    })
            })
    }

    // MARK: - Apply

    /// What one application of a document shares across its lists.
    private struct ApplyContext {
        /// The SIDs new addresses take, in order: ascending across the whole document, so
        /// that the index by SID is written at its end even when the addresses come in a
        /// thousand lists (SIDs ascending per list only landed each list's at random
        /// places, and a 1,000 × 1,000 import spent most of its time there).
        var newAddressSIDs: LazyMapSequence<[UInt128], SID>.Iterator
        /// The address triggers, when the write is journaled as one reload.
        let triggers: PolicyJournal.AddressTriggerSuspension?
    }

    private struct ApplyCounts: Sendable {
        var created = 0
        var updated = 0
        var deleted = 0
    }

    private static func apply(
        _ account: ParsedPolicyDocument.Account, prune: Bool, db: any StoreTransaction, at time: Int64, counts: inout ApplyCounts,
        context: inout ApplyContext
    ) throws {
        let accountText = account.sid.rawValue

        // Lists first: mappings refer to them.
        let explicitListSIDs = Set(account.lists.compactMap(\.sid))
        var listSIDs: [SID] = []
        var claimedLists = Set<SID>()
        for list in account.lists {
            let sid = try conflicts(at: list.path) { () throws -> SID in
                if let sid = list.sid {
                    if (try? fetchList(db, sid, account: account.sid)) == nil {
                        try insertList(db, sid: sid, account: account.sid, friendlyName: list.friendlyName, at: time)
                        counts.created += 1
                    } else if try renameList(db, sid, account: account.sid, friendlyName: list.friendlyName, at: time) {
                        counts.updated += 1
                    }
                    return sid
                }
                let candidates = try String.fetchAll(
                    db,
                    sql:
                        "SELECT sid FROM ip_access_control_list WHERE account_sid = ? AND friendly_name = ? ORDER BY sid",
                    arguments: [accountText, list.friendlyName]
                ).compactMap { SID($0, kind: .ipAccessControlList) }
                    .filter { !explicitListSIDs.contains($0) && !claimedLists.contains($0) }
                switch candidates.count {
                case 0:
                    let sid = SID.random(.ipAccessControlList)
                    try insertList(db, sid: sid, account: account.sid, friendlyName: list.friendlyName, at: time)
                    counts.created += 1
                    return sid
                case 1:
                    return candidates[0]
                default:
                    throw PolicyDocumentError.ambiguousListReference(path: list.path, list.friendlyName)
                }
            }
            listSIDs.append(sid)
            claimedLists.insert(sid)
            try applyAddresses(
                list, to: sid, account: account.sid, prune: prune, db: db, at: time, counts: &counts, context: &context)
        }

        let explicitCredentialListSIDs = Set(account.credentialLists.compactMap(\.sid))
        var credentialListSIDs: [SID] = []
        var claimedCredentialLists = Set<SID>()
        for list in account.credentialLists {
            let sid = try conflicts(at: list.path) { () throws -> SID in
                if let sid = list.sid {
                    if (try? fetchCredentialList(db, sid, account: account.sid)) == nil {
                        try insertCredentialList(
                            db, sid: sid, account: account.sid, friendlyName: list.friendlyName, at: time)
                        counts.created += 1
                    } else if try renameCredentialList(
                        db, sid, account: account.sid, friendlyName: list.friendlyName, at: time)
                    {
                        counts.updated += 1
                    }
                    return sid
                }
                let candidates = try String.fetchAll(
                    db,
                    sql: "SELECT sid FROM credential_list WHERE account_sid = ? AND friendly_name = ? ORDER BY sid",
                    arguments: [accountText, list.friendlyName]
                ).compactMap { SID($0, kind: .credentialList) }
                    .filter { !explicitCredentialListSIDs.contains($0) && !claimedCredentialLists.contains($0) }
                switch candidates.count {
                case 0:
                    let sid = SID.random(.credentialList)
                    try insertCredentialList(
                        db, sid: sid, account: account.sid, friendlyName: list.friendlyName, at: time)
                    counts.created += 1
                    return sid
                case 1:
                    return candidates[0]
                default:
                    throw PolicyDocumentError.ambiguousListReference(path: list.path, list.friendlyName)
                }
            }
            credentialListSIDs.append(sid)
            claimedCredentialLists.insert(sid)
            try applyCredentials(list, to: sid, account: account.sid, prune: prune, db: db, at: time, counts: &counts)
        }

        var claimedDomains = Set<SID>()
        for domain in account.domains {
            let sid = try conflicts(at: domain.path) { () throws -> SID in
                let existing: SID?
                if let sid = domain.sid, (try? fetchDomain(db, sid, account: account.sid)) != nil {
                    existing = sid
                } else {
                    existing = try String.fetchOne(
                        db,
                        sql: "SELECT sid FROM domain WHERE \(db.dialect.equalsIgnoringCase("domain_name")) AND account_sid = ?",
                        arguments: [domain.name.normalized, accountText]
                    ).flatMap { SID($0, kind: .domain) }
                }
                guard let existing else {
                    let sid = domain.sid ?? SID.random(.domain)
                    try insertDomain(
                        db, sid: sid, account: account.sid, name: domain.name, settings: domain.settings, at: time)
                    counts.created += 1
                    return sid
                }
                var record = try fetchDomain(db, existing, account: account.sid)
                record.name = domain.name
                record.settings = domain.settings
                if try saveDomain(db, record, at: time) { counts.updated += 1 }
                return existing
            }
            claimedDomains.insert(sid)

            for kind in MappingKind.allCases {
                try reconcileMappings(
                    db, .ipAccessControlLists, kind: kind.rawValue, domain: sid,
                    wanted: Set((domain.mappings[kind] ?? []).map { listSIDs[$0] }), prune: prune, counts: &counts
                ) { list in
                    try conflicts(at: domain.path) {
                        try insertMapping(db, kind, domain: sid, list: list, account: account.sid, at: time)
                    }
                }
            }
            for kind in CredentialMappingKind.allCases {
                try reconcileMappings(
                    db, .credentialLists, kind: kind.rawValue, domain: sid,
                    wanted: Set((domain.credentialMappings[kind] ?? []).map { credentialListSIDs[$0] }), prune: prune,
                    counts: &counts
                ) { list in
                    try conflicts(at: domain.path) {
                        try insertCredentialMapping(db, kind, domain: sid, list: list, account: account.sid, at: time)
                    }
                }
            }
        }

        guard prune else { return }
        for sid in try String.fetchAll(
            db, sql: "SELECT sid FROM domain WHERE account_sid = ?", arguments: [accountText])
        where !claimedDomains.contains(where: { $0.rawValue == sid }) {
            try db.execute(sql: "DELETE FROM domain WHERE sid = ?", arguments: [sid])
            counts.deleted += 1
        }
        for sid in try String.fetchAll(
            db, sql: "SELECT sid FROM ip_access_control_list WHERE account_sid = ?", arguments: [accountText])
        where !claimedLists.contains(where: { $0.rawValue == sid }) {
            try db.execute(sql: "DELETE FROM ip_access_control_list WHERE sid = ?", arguments: [sid])
            counts.deleted += 1
        }
        for sid in try String.fetchAll(
            db, sql: "SELECT sid FROM credential_list WHERE account_sid = ?", arguments: [accountText])
        where !claimedCredentialLists.contains(where: { $0.rawValue == sid }) {
            try db.execute(sql: "DELETE FROM credential_list WHERE sid = ?", arguments: [sid])
            counts.deleted += 1
        }
    }

    /// Makes the credentials of the stored list `listSID` match `list`'s: matched by
    /// username, their hashes updated; with `prune`, usernames the document lacks deleted.
    private static func applyCredentials(
        _ list: ParsedPolicyDocument.CredentialList, to listSID: SID, account: SID, prune: Bool, db: any StoreTransaction,
        at time: Int64, counts: inout ApplyCounts
    ) throws {
        var stored: [String: CredentialRecord] = [:]
        for row in try StoreRow.fetchAll(
            db, sql: "SELECT \(StoredRows.credentialColumns) FROM credential cr WHERE cr.credential_list_sid = ?",
            arguments: [listSID.rawValue])
        {
            let credential = try StoredRows.credential(row)
            stored[credential.username] = credential
        }
        for credential in list.credentials {
            if var record = stored.removeValue(forKey: credential.username) {
                guard record.secret != credential.secret else { continue }
                record.secret = credential.secret
                if try saveCredential(db, record, at: time) { counts.updated += 1 }
            } else {
                try conflicts(at: credential.path) {
                    try insertCredential(
                        db, sid: credential.sid ?? SID.random(.credential), account: account, list: listSID,
                        username: credential.username, secret: credential.secret, at: time, checked: false)
                }
                counts.created += 1
            }
        }
        if prune {
            for credential in stored.values {
                try db.execute(sql: "DELETE FROM credential WHERE sid = ?", arguments: [credential.sid.rawValue])
                counts.deleted += 1
            }
        }
    }

    private static func applyAddresses(
        _ list: ParsedPolicyDocument.List, to listSID: SID, account: SID, prune: Bool, db: any StoreTransaction, at time: Int64,
        counts: inout ApplyCounts, context: inout ApplyContext
    ) throws {
        var stored: [IPPrefix: IPAddressRecord] = [:]
        for row in try StoreRow.fetchAll(
            db, sql: "SELECT \(StoredRows.addressColumns) FROM ip_address a WHERE a.ip_access_control_list_sid = ?",
            arguments: [listSID.rawValue])
        {
            let entry = try StoredRows.address(row)
            stored[entry.prefix] = entry
        }
        var created: [Int] = []  // positions in `list.addresses`
        for (position, address) in list.addresses.enumerated() {
            if var entry = stored.removeValue(forKey: address.prefix) {
                let friendlyName = address.friendlyName
                guard entry.friendlyName != friendlyName else { continue }
                entry.friendlyName = friendlyName
                if try saveAddress(db, entry, at: time) { counts.updated += 1 }
            } else {
                created.append(position)
            }
        }
        // New entries go in in prefix order, and their (random) SIDs are handed out in
        // ascending order along it and across the document's lists
        // (``ApplyContext/newAddressSIDs``), so that the three indexes of `ip_address` (by
        // SID, by list and SID, by list and prefix) are written in key order — at their ends
        // for a new list, in runs between existing keys otherwise — instead of at random
        // pages: at a million entries, random order made the import bound by SQLite's page
        // writes.
        created.sort { list.addresses[$0].prefix < list.addresses[$1].prefix }
        if !created.isEmpty || (prune && !stored.isEmpty) { try context.triggers?.suspend() }
        // The list exists and lacks the prefixes (checked above and in the document), so the
        // per-row checks of `insertAddress` would only slow large imports; rows go in
        // batches (a round trip per row made a million-address import on PostgreSQL take
        // minutes).
        for start in stride(from: 0, to: created.count, by: addressBatchSize) {
            let batch = created[start..<min(start + addressBatchSize, created.count)].map { position in
                // The document has at least as many addresses as it creates.
                let address = list.addresses[position]
                return (context.newAddressSIDs.next() ?? SID.random(.ipAddress), address.friendlyName, address.prefix)
            }
            try insertUncheckedAddresses(db, batch, account: account, list: listSID, at: time)
            counts.created += batch.count
        }
        if prune {
            for entry in stored.values {
                try db.execute(sql: "DELETE FROM ip_address WHERE sid = ?", arguments: [entry.sid.rawValue])
                counts.deleted += 1
            }
        }
    }

    /// Runs `body`, reporting a ``PolicyStoreError`` as a conflict at `path`.
    /// The two mapping tables a domain's lists are mapped in.
    private enum MappingTable {
        case ipAccessControlLists, credentialLists

        var table: String {
            switch self {
            case .ipAccessControlLists: "ip_access_control_list_mapping"
            case .credentialLists: "credential_list_mapping"
            }
        }

        var listColumn: String {
            switch self {
            case .ipAccessControlLists: "ip_access_control_list_sid"
            case .credentialLists: "credential_list_sid"
            }
        }

        var listKind: SID.Kind {
            switch self {
            case .ipAccessControlLists: .ipAccessControlList
            case .credentialLists: .credentialList
            }
        }
    }

    /// Makes the lists `table` maps to `domain` by `kind` include `wanted` (each missing
    /// one added through `insert`) and, with `prune`, nothing else; counts what changed.
    private static func reconcileMappings(
        _ db: any StoreTransaction, _ table: MappingTable, kind: String, domain: SID, wanted: Set<SID>, prune: Bool,
        counts: inout ApplyCounts, insert: (SID) throws -> Void
    ) throws {
        let present = Set(
            try String.fetchAll(
                db, sql: "SELECT \(table.listColumn) FROM \(table.table) WHERE domain_sid = ? AND kind = ?",
                arguments: [domain.rawValue, kind]
            ).compactMap { SID($0, kind: table.listKind) })
        for list in wanted.subtracting(present).sorted() {
            try insert(list)
            counts.created += 1
        }
        guard prune else { return }
        for list in present.subtracting(wanted).sorted() {
            try db.execute(
                sql: "DELETE FROM \(table.table) WHERE domain_sid = ? AND kind = ? AND \(table.listColumn) = ?",
                arguments: [domain.rawValue, kind, list.rawValue])
            counts.deleted += 1
        }
    }

    private static func conflicts<T>(at path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PolicyStoreError {
            throw PolicyDocumentError.conflict(path: path, error)
        }
    }
}
