import AccessControl
import Foundation
import StoreTestSupport
import Testing

@testable import PolicyStore

/// The tracker recompiles from the change journal; whatever the writes, its policy must
/// answer exactly as the policy compiled from the whole store.
@Suite("PolicyTracker and the change journal")
struct PolicyTrackerTests {
    let store: PolicyStore

    init() async throws {
        store = try await TestStores.make()
    }

    /// Expects `tracker`'s policy to give the answers of a full compile of the store.
    func expectCurrent(_ tracker: PolicyTracker, _ note: String = "") async throws {
        let expected = try await store.compilePolicy()
        let policy = tracker.policy
        #expect(policy.generation == expected.generation, "\(note)")
        #expect(policy.domains == expected.domains, "\(note)")
        #expect(policy.prefixCount == expected.prefixCount, "\(note)")
        var probes: [IPAddress] = [Fixtures.address("192.0.2.1"), Fixtures.address("2001:db8::1")]
        for list in try await store.read({ db in try PolicySnapshot(db) }).lists {
            probes += list.prefixes.map(\.network)
        }
        for domain in expected.domains {
            let rule = policy.rule(for: domain)
            let reference = expected.rule(for: domain)
            #expect(rule?.lists == reference?.lists, "\(note): \(domain)")
            #expect(rule?.authenticatesCalls == reference?.authenticatesCalls, "\(note): \(domain)")
            #expect(rule?.acceptsRegistrations == reference?.acceptsRegistrations, "\(note): \(domain)")
            #expect(rule?.callCredentials.count == reference?.callCredentials.count, "\(note): \(domain)")
            for address in probes {
                #expect(
                    policy.decide(domain: domain, source: address) == expected.decide(domain: domain, source: address),
                    "\(note): \(domain) from \(address)")
            }
        }
        for address in probes {
            #expect(policy.knownSourceMatch(address) == expected.knownSourceMatch(address), "\(note): \(address)")
        }
    }

    static func domain(_ store: PolicyStore, _ name: String) async throws -> DomainRecord {
        guard let domain = try await store.domain(named: Fixtures.domain(name), account: Fixtures.alice) else {
            throw PolicyStoreError.notFound(Fixtures.alice)
        }
        return domain
    }

    static func list(_ store: PolicyStore, _ name: String) async throws -> IPAccessControlListRecord {
        guard let list = try await store.ipAccessControlLists(account: Fixtures.alice, limit: 100).first(where: { $0.friendlyName == name })
        else { throw PolicyStoreError.notFound(Fixtures.alice) }
        return list
    }

    /// Domain `a.example.com` and list `l`, mapped: the start of several tests.
    func mappedList() async throws -> IPAccessControlListRecord {
        let domain = try await store.createDomain(account: Fixtures.alice, name: Fixtures.domain("a.example.com"))
        let list = try await store.createIPAccessControlList(account: Fixtures.alice, friendlyName: "l")
        _ = try await store.createMapping(.legacy, domain: domain.sid, list: list.sid, account: Fixtures.alice)
        return list
    }

    @Test("each kind of write reaches the tracker through the journal, never by reading everything again")
    func everyWriteJournaled() async throws {
        var tracker = try await PolicyTracker(compiling: store)
        let alice = Fixtures.alice
        let steps: [(String, @Sendable (PolicyStore) async throws -> Void)] = [
            ("domain", { _ = try await $0.createDomain(account: alice, name: Fixtures.domain("a.example.com")) }),
            ("list", { _ = try await $0.createIPAccessControlList(account: alice, friendlyName: "carriers") }),
            ("mapping", { store in
                let domain = try await Self.domain(store, "a.example.com")
                let list = try await Self.list(store, "carriers")
                _ = try await store.createMapping(.authCalls, domain: domain.sid, list: list.sid, account: alice)
            }),
            ("address", { store in
                let list = try await Self.list(store, "carriers")
                for text in ["192.0.2.0/24", "192.0.2.128/25", "2001:db8::/32", "198.51.100.7"] {
                    _ = try await store.createIPAddress(account: alice, list: list.sid, friendlyName: text, prefix: Fixtures.prefix(text))
                }
            }),
            ("address update", { store in
                let list = try await Self.list(store, "carriers")
                let entry = try await store.ipAddresses(list: list.sid, account: alice, limit: 100).first { $0.prefix == Fixtures.prefix("198.51.100.7") }!
                try await store.updateIPAddress(entry.sid, list: list.sid, account: alice) { $0.prefix = Fixtures.prefix("203.0.113.0/24") }
            }),
            ("address delete", { store in
                let list = try await Self.list(store, "carriers")
                let entry = try await store.ipAddresses(list: list.sid, account: alice, limit: 100).first { $0.prefix == Fixtures.prefix("192.0.2.128/25") }!
                try await store.deleteIPAddress(entry.sid, list: list.sid, account: alice)
            }),
            ("list rename", { store in
                let list = try await Self.list(store, "carriers")
                _ = try await store.renameIPAccessControlList(list.sid, account: alice, friendlyName: "renamed")
            }),
            ("second domain, second list", { store in
                let domain = try await store.createDomain(account: alice, name: Fixtures.domain("b.example.com"))
                let list = try await store.createIPAccessControlList(account: alice, friendlyName: "office")
                _ = try await store.createIPAddress(account: alice, list: list.sid, friendlyName: "o", prefix: Fixtures.prefix("192.0.2.0/24"))
                _ = try await store.createMapping(.legacy, domain: domain.sid, list: list.sid, account: alice)
            }),
            ("credentials", { store in
                let domain = try await Self.domain(store, "a.example.com")
                let list = try await store.createCredentialList(account: alice, friendlyName: "phones")
                _ = try await store.createCredential(account: alice, list: list.sid, username: "alice", secret: Fixtures.secret("alice", "pw"))
                _ = try await store.createCredentialListMapping(.authCalls, domain: domain.sid, list: list.sid, account: alice)
            }),
            ("registrations", { store in
                let domain = try await Self.domain(store, "a.example.com")
                _ = try await store.updateDomain(domain.sid, account: alice) { $0.settings.sipRegistration = true }
            }),
            ("unmapping", { store in
                let domain = try await Self.domain(store, "a.example.com")
                let list = try await Self.list(store, "renamed")
                try await store.deleteMapping(.authCalls, domain: domain.sid, list: list.sid, account: alice)
            }),
            ("list delete", { store in
                let list = try await Self.list(store, "renamed")
                try await store.deleteIPAccessControlList(list.sid, account: alice)
            }),
            ("domain delete", { store in
                let domain = try await Self.domain(store, "a.example.com")
                try await store.deleteDomain(domain.sid, account: alice)
            }),
        ]
        for (name, step) in steps {
            try await step(store)
            let update = try await tracker.catchUp(with: store)
            guard case .applied = update else {
                Issue.record("\(name): \(update)")
                continue
            }
            try await expectCurrent(tracker, name)
        }
        #expect(try await tracker.catchUp(with: store) == .unchanged)
    }

    @Test("a tracker several writes behind applies them all at once")
    func batches() async throws {
        var tracker = try await PolicyTracker(compiling: store)
        let list = try await mappedList()
        var added: [IPAddressRecord] = []
        for index in 0..<20 {
            added.append(
                try await store.createIPAddress(
                    account: Fixtures.alice, list: list.sid, friendlyName: "\(index)", prefix: Fixtures.prefix("10.0.\(index).0/24")))
        }
        // Added and removed again between two catch-ups: no net change.
        for entry in added.prefix(5) {
            try await store.deleteIPAddress(entry.sid, list: list.sid, account: Fixtures.alice)
        }
        #expect(try await tracker.catchUp(with: store) == .applied(changes: 26))
        try await expectCurrent(tracker)
    }

    @Test("a write the API does not make — SQL on the store's file — still reaches the tracker")
    func handMadeSQL() async throws {
        let list = try await mappedList()
        var tracker = try await PolicyTracker(compiling: store)
        try await store.write { db in
            try db.execute(
                sql: """
                    INSERT INTO ip_address (sid, account_sid, ip_access_control_list_sid, friendly_name, network,
                        prefix_length, date_created, date_updated)
                    VALUES ('IP00000000000000000000000000000001', ?, ?, 'by hand', ?, 24, 0, 0)
                    """,
                arguments: [Fixtures.alice.rawValue, list.sid.rawValue, Data([192, 0, 2, 0])])
        }
        #expect(try await tracker.catchUp(with: store) == .applied(changes: 1))
        #expect(tracker.policy.decide(domain: Fixtures.domain("a.example.com"), source: Fixtures.address("192.0.2.9")).isAdmitted)
        try await expectCurrent(tracker)
    }

    @Test("deleting a list journals the deletion, not each of its addresses")
    func listDeletionIsOneRow() async throws {
        let list = try await store.createIPAccessControlList(account: Fixtures.alice, friendlyName: "l")
        for index in 0..<50 {
            _ = try await store.createIPAddress(
                account: Fixtures.alice, list: list.sid, friendlyName: "\(index)", prefix: Fixtures.prefix("10.1.\(index).0/24"))
        }
        var tracker = try await PolicyTracker(compiling: store)
        try await store.deleteIPAccessControlList(list.sid, account: Fixtures.alice)
        let generation = try await store.generation()
        let rows = try await store.read { db in
            try String.fetchAll(db, sql: "SELECT kind FROM policy_change WHERE generation = ?", arguments: [Int64(generation)])
        }
        #expect(rows.sorted() == ["list_deleted", "records"])
        #expect(try await tracker.catchUp(with: store) == .applied(changes: 2))
        try await expectCurrent(tracker)
    }

    @Test("a list deleted and made again with the same SID before the tracker catches up keeps none of its old prefixes")
    func listRecreatedWithTheSameSID() async throws {
        let listSID = "AL0000000000000000000000000000000a"
        func document(_ addresses: [String]) -> PolicyDocument {
            PolicyDocument(accounts: [
                .init(
                    sid: Fixtures.alice.rawValue,
                    domains: [.init(domainName: "a.example.com", ipAccessControlListMappings: [listSID])],
                    ipAccessControlLists: [
                        .init(sid: listSID, friendlyName: "l", ipAddresses: addresses.map { .init(ipAddress: $0) })
                    ])
            ])
        }
        try await store.apply(document(["192.0.2.0/24", "198.51.100.0/24"]))
        var tracker = try await PolicyTracker(compiling: store)
        let list = try await Self.list(store, "l")
        try await store.deleteIPAccessControlList(list.sid, account: Fixtures.alice)
        try await store.apply(document(["203.0.113.0/24"]))  // the same SID, another prefix
        #expect(try await tracker.catchUp(with: store) != .reloaded)
        let domain = Fixtures.domain("a.example.com")
        #expect(!tracker.policy.decide(domain: domain, source: Fixtures.address("192.0.2.1")).isAdmitted)
        #expect(tracker.policy.decide(domain: domain, source: Fixtures.address("203.0.113.1")).isAdmitted)
        try await expectCurrent(tracker)
    }

    @Test("journal rows of a generation the store has not reached are not applied early")
    func futureRowsWait() async throws {
        let list = try await mappedList()
        var tracker = try await PolicyTracker(compiling: store)
        // As SQL that stamps rows for a later generation than it commits would leave them.
        let generation = try await store.generation()
        try await store.write { db in
            try db.execute(
                sql: """
                    INSERT INTO policy_change (generation, kind, ip_access_control_list_sid, network, prefix_length)
                    VALUES (?, 'address_added', ?, ?, 24)
                    """,
                arguments: [Int64(generation) + 5, list.sid.rawValue, Data([192, 0, 2, 0])])
        }
        _ = try await tracker.catchUp(with: store)
        #expect(!tracker.policy.decide(domain: Fixtures.domain("a.example.com"), source: Fixtures.address("192.0.2.1")).isAdmitted)
        try await expectCurrent(tracker)
    }

    @Test("a write too large to journal row by row leaves one reload row, and the tracker reloads")
    func largeImportReloads() async throws {
        var tracker = try await PolicyTracker(compiling: store)
        let addresses = (0..<(PolicyJournal.collapseThreshold + 1)).map { index in
            PolicyDocument.Address(ipAddress: "10.\(index >> 16).\((index >> 8) & 255).\(index & 255)")
        }
        try await store.apply(
            PolicyDocument(accounts: [
                .init(
                    sid: Fixtures.alice.rawValue,
                    domains: [.init(domainName: "bulk.example.com", ipAccessControlListMappings: ["bulk"])],
                    ipAccessControlLists: [.init(friendlyName: "bulk", ipAddresses: addresses)])
            ]))
        let rows = try await store.read { db in try String.fetchAll(db, sql: "SELECT kind FROM policy_change") }
        #expect(rows == ["reload"])
        #expect(try await tracker.catchUp(with: store) == .reloaded)
        try await expectCurrent(tracker)
        // The next small write is journaled again.
        let list = try await Self.list(store, "bulk")
        _ = try await store.createIPAddress(account: Fixtures.alice, list: list.sid, friendlyName: "probe", prefix: Fixtures.prefix("127.0.0.2"))
        #expect(try await tracker.catchUp(with: store) == .applied(changes: 1))
        #expect(tracker.policy.decide(domain: Fixtures.domain("bulk.example.com"), source: Fixtures.address("127.0.0.2")).isAdmitted)
    }

    /// The address triggers' stored definitions, by name.
    private func addressTriggers() async throws -> [String: String] {
        try await store.read { db in
            Dictionary(
                uniqueKeysWithValues: try StoreRow.fetchAll(
                    db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'policy_change_address_%'"
                ).map { (try $0.decode(String.self, atIndex: 0), try $0.decode(String.self, atIndex: 1)) })
        }
    }

    @Test(
        "a bulk write sets the address triggers aside only when it is journaled as a reload, and gets them back, even when it fails",
        .enabled(if: TestStores.backend == .sqlite, "SQLite only: PostgreSQL's address triggers run once per statement"))
    func addressTriggersComeBack() async throws {
        let installed = try await addressTriggers()
        #expect(installed.count == 3)
        struct Abort: Error {}
        // Failed after the triggers were dropped: the rollback brings them back.
        await #expect(throws: Abort.self) {
            try await store.write { db in
                try PolicyJournal.markReload(db)
                let suspension = PolicyJournal.AddressTriggerSuspension(db)
                try suspension.suspend()
                let left = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE name LIKE 'policy_change_address_%'")
                #expect(left == 0)
                throw Abort()
            }
        }
        #expect(try await addressTriggers() == installed)
        // Not marked as a reload: nothing is set aside, so every row is still journaled.
        try await store.write { db in
            try PolicyJournal.AddressTriggerSuspension(db).suspend()
            let left = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE name LIKE 'policy_change_address_%'")
            #expect(left == 3)
        }
        // A large import restores them as they were.
        try await store.apply(
            PolicyDocument(accounts: [
                .init(
                    sid: Fixtures.alice.rawValue,
                    ipAccessControlLists: [
                        .init(
                            friendlyName: "bulk",
                            ipAddresses: (0...PolicyJournal.collapseThreshold).map { PolicyDocument.Address(ipAddress: "10.0.\($0 >> 8).\($0 & 255)") })
                    ])
            ]))
        #expect(try await addressTriggers() == installed)
    }

    @Test("a tracker behind the journal's floor reloads")
    func prunedJournalReloads() async throws {
        var tracker = try await PolicyTracker(compiling: store)
        _ = try await store.createIPAccessControlList(account: Fixtures.alice, friendlyName: "l")
        let generation = try await store.generation()
        try await store.write { db in
            // As pruning leaves it: the changes up to this generation forgotten.
            try db.execute(sql: "DELETE FROM policy_change WHERE generation <= ?", arguments: [Int64(generation)])
            try db.execute(sql: "UPDATE policy_generation SET journal_floor = ?", arguments: [Int64(generation)])
        }
        #expect(try await tracker.catchUp(with: store) == .reloaded)
        try await expectCurrent(tracker)
    }

    @Test("the journal forgets generations past the ones it keeps")
    func pruning() async throws {
        try await store.write { db in
            try db.execute(
                sql: "UPDATE policy_generation SET value = ?, journal_floor = 0",
                arguments: [Int64(PolicyJournal.retainedGenerations) + 5])
        }
        let list = try await store.createIPAccessControlList(account: Fixtures.alice, friendlyName: "l")
        for index in 0..<3 {
            _ = try await store.createIPAddress(
                account: Fixtures.alice, list: list.sid, friendlyName: "\(index)", prefix: Fixtures.prefix("10.2.\(index).0/24"))
        }
        let (floor, oldest) = try await store.read { db in
            (
                try Int64.fetchOne(db, sql: "SELECT journal_floor FROM policy_generation") ?? -1,
                try Int64.fetchOne(db, sql: "SELECT min(generation) FROM policy_change") ?? -1
            )
        }
        let generation = Int64(try await store.generation())
        #expect(floor == generation - Int64(PolicyJournal.retainedGenerations))
        #expect(oldest > floor)
    }
}

extension PolicyTrackerTests {
    @Test("any write of more rows than the journal takes collapses into one reload row")
    func collapse() async throws {
        let list = try await store.createIPAccessControlList(account: Fixtures.alice, friendlyName: "l")
        var tracker = try await PolicyTracker(compiling: store)
        // 10.1.x.y/32, x and y in 1...127 (one byte each in UTF-8).
        try await store.write { db in
            let rows =
                switch db.dialect {
                case .sqlite:
                    """
                    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                    SELECT printf('IP%032x', i), ?, ?, 'bulk', CAST(char(10, 1, i / 127 + 1, i % 127 + 1) AS BLOB), 32, 0, 0 FROM n
                    """
                case .postgres:
                    """
                    SELECT 'IP' || lpad(to_hex(i), 32, '0'), ?, ?, 'bulk',
                        set_byte(set_byte('\\x0a010000'::bytea, 2, (i / 127 + 1)::int), 3, (i % 127 + 1)::int), 32, 0, 0
                    FROM generate_series(0, ?) AS n(i)
                    """
                }
            let arguments: StoreArguments =
                db.dialect == .sqlite
                ? [PolicyJournal.collapseThreshold, Fixtures.alice.rawValue, list.sid.rawValue]
                : [Fixtures.alice.rawValue, list.sid.rawValue, PolicyJournal.collapseThreshold]
            try db.execute(
                sql: """
                    INSERT INTO ip_address (sid, account_sid, ip_access_control_list_sid, friendly_name, network,
                        prefix_length, date_created, date_updated)
                    \(rows)
                    """,
                arguments: arguments)
        }
        let generation = try await store.generation()
        let rows = try await store.read { db in
            try String.fetchAll(db, sql: "SELECT kind FROM policy_change WHERE generation = ?", arguments: [Int64(generation)])
        }
        #expect(rows == ["reload"])
        #expect(try await tracker.catchUp(with: store) == .reloaded)
        #expect(tracker.policy.prefixCount == PolicyJournal.collapseThreshold + 1)
    }
}
