import AccessControl
import Foundation
import StoreTestSupport
import Testing

@testable import PolicyStore

@Suite("PolicyStore records, constraints and isolation")
struct PolicyStoreRecordTests {
    let clock = TestClock()
    let store: PolicyStore

    init() async throws {
        store = try await TestStores.make(now: clock.now)
    }

    @Test("creates, reads, updates and deletes every kind of record")
    func lifecycle() async throws {
        let domain = try await store.createDomain(
            account: Fixtures.alice, name: Fixtures.domain("trunk.example.com"),
            settings: DomainSettings(friendlyName: "Trunk", voiceMethod: "POST", secure: true))
        #expect(domain.sid.kind == .domain)
        #expect(domain.accountSID == Fixtures.alice)
        #expect(domain.settings.friendlyName == "Trunk")
        #expect(domain.settings.secure)
        #expect(!domain.hasIPAccessControlListMappings)
        #expect(domain.dateCreated == clock.now())
        #expect(try await store.domain(domain.sid, account: Fixtures.alice) == domain)

        let list = try await store.createIPAccessControlList(account: Fixtures.alice, friendlyName: "carriers")
        let entry = try await store.createIPAddress(
            account: Fixtures.alice, list: list.sid, friendlyName: "carrier A", prefix: Fixtures.prefix("192.0.2.0/24"))
        #expect(entry.listSID == list.sid)
        #expect(try await store.ipAddress(entry.sid, list: list.sid, account: Fixtures.alice) == entry)

        let legacy = try await store.createMapping(.legacy, domain: domain.sid, list: list.sid, account: Fixtures.alice)
        #expect(legacy.sid == list.sid)
        #expect(legacy.friendlyName == "carriers")
        _ = try await store.createMapping(.authCalls, domain: domain.sid, list: list.sid, account: Fixtures.alice)
        #expect(try await store.domain(domain.sid, account: Fixtures.alice).hasIPAccessControlListMappings)

        clock.advance(by: 60)
        let renamed = try await store.updateDomain(domain.sid, account: Fixtures.alice) { domain in
            domain.name = Fixtures.domain("pbx.example.com")
            domain.settings.voiceURL = "https://example.com/voice"
        }
        #expect(renamed.name.normalized == "pbx.example.com")
        #expect(renamed.settings.voiceURL == "https://example.com/voice")
        #expect(renamed.dateCreated == domain.dateCreated)
        #expect(renamed.dateUpdated == domain.dateCreated.addingTimeInterval(60))

        let moved = try await store.updateIPAddress(entry.sid, list: list.sid, account: Fixtures.alice) { entry in
            entry.prefix = Fixtures.prefix("2001:db8::/32")
        }
        #expect(moved.prefix == Fixtures.prefix("2001:db8::/32"))
        #expect(
            try await store.renameIPAccessControlList(list.sid, account: Fixtures.alice, friendlyName: "peers")
                .friendlyName
                == "peers")
        #expect(
            try await store.mapping(.legacy, domain: domain.sid, list: list.sid, account: Fixtures.alice).friendlyName
                == "peers")

        try await store.deleteMapping(.legacy, domain: domain.sid, list: list.sid, account: Fixtures.alice)
        await #expect(throws: PolicyStoreError.mappingNotFound(.legacy, domain: domain.sid, list: list.sid)) {
            try await store.mapping(.legacy, domain: domain.sid, list: list.sid, account: Fixtures.alice)
        }
        try await store.deleteIPAddress(entry.sid, list: list.sid, account: Fixtures.alice)
        try await store.deleteIPAccessControlList(list.sid, account: Fixtures.alice)
        try await store.deleteDomain(domain.sid, account: Fixtures.alice)
        await #expect(throws: PolicyStoreError.notFound(domain.sid)) {
            try await store.domain(domain.sid, account: Fixtures.alice)
        }
        await #expect(throws: PolicyStoreError.notFound(domain.sid)) {
            try await store.deleteDomain(domain.sid, account: Fixtures.alice)
        }
    }

    @Test("a domain name is unique across all accounts, whatever its case")
    func domainNamesAreUnique() async throws {
        _ = try await store.createDomain(account: Fixtures.alice, name: Fixtures.domain("Trunk.Example.COM"))
        await #expect(throws: PolicyStoreError.domainNameTaken(Fixtures.domain("trunk.example.com"))) {
            try await store.createDomain(account: Fixtures.bob, name: Fixtures.domain("trunk.example.com."))
        }
        let other = try await store.createDomain(account: Fixtures.alice, name: Fixtures.domain("other.example.com"))
        await #expect(throws: PolicyStoreError.domainNameTaken(Fixtures.domain("trunk.example.com"))) {
            try await store.updateDomain(other.sid, account: Fixtures.alice) {
                $0.name = Fixtures.domain("TRUNK.example.com")
            }
        }
    }

    @Test("a list is mapped to a domain once per kind; a prefix is listed once per list")
    func mappingAndPrefixUniqueness() async throws {
        let domain = try await store.createDomain(account: Fixtures.alice, name: Fixtures.domain("a.example.com"))
        let list = try await store.createIPAccessControlList(account: Fixtures.alice, friendlyName: "l")
        _ = try await store.createMapping(.legacy, domain: domain.sid, list: list.sid, account: Fixtures.alice)
        await #expect(throws: PolicyStoreError.listAlreadyMapped(.legacy, domain: domain.sid, list: list.sid)) {
            try await store.createMapping(.legacy, domain: domain.sid, list: list.sid, account: Fixtures.alice)
        }
        _ = try await store.createMapping(.authCalls, domain: domain.sid, list: list.sid, account: Fixtures.alice)

        let prefix = Fixtures.prefix("198.51.100.0/24")
        _ = try await store.createIPAddress(account: Fixtures.alice, list: list.sid, friendlyName: "a", prefix: prefix)
        await #expect(throws: PolicyStoreError.prefixAlreadyListed(prefix, list: list.sid)) {
            try await store.createIPAddress(
                account: Fixtures.alice, list: list.sid, friendlyName: "b", prefix: Fixtures.prefix("198.51.100.9/24"))
        }
    }

    @Test("deleting a domain removes its mappings; deleting a list removes its addresses and mappings")
    func cascades() async throws {
        let domain = try await store.createDomain(account: Fixtures.alice, name: Fixtures.domain("a.example.com"))
        let kept = try await store.createDomain(account: Fixtures.alice, name: Fixtures.domain("b.example.com"))
        let list = try await store.createIPAccessControlList(account: Fixtures.alice, friendlyName: "l")
        _ = try await store.createIPAddress(
            account: Fixtures.alice, list: list.sid, friendlyName: "a", prefix: Fixtures.prefix("192.0.2.1"))
        for kind in MappingKind.allCases {
            _ = try await store.createMapping(kind, domain: domain.sid, list: list.sid, account: Fixtures.alice)
            _ = try await store.createMapping(kind, domain: kept.sid, list: list.sid, account: Fixtures.alice)
        }
        #expect(try await count("ip_access_control_list_mapping") == 4)

        try await store.deleteDomain(domain.sid, account: Fixtures.alice)
        #expect(try await count("ip_access_control_list_mapping") == 2)

        try await store.deleteIPAccessControlList(list.sid, account: Fixtures.alice)
        #expect(try await count("ip_access_control_list_mapping") == 0)
        #expect(try await count("ip_address") == 0)
        #expect(try await count("domain") == 1)
        #expect(try await !store.domain(kept.sid, account: Fixtures.alice).hasIPAccessControlListMappings)
    }

    @Test("one account never sees or touches another's records")
    func accountIsolation() async throws {
        let domain = try await store.createDomain(account: Fixtures.alice, name: Fixtures.domain("a.example.com"))
        let list = try await store.createIPAccessControlList(account: Fixtures.alice, friendlyName: "l")
        let entry = try await store.createIPAddress(
            account: Fixtures.alice, list: list.sid, friendlyName: "a", prefix: Fixtures.prefix("192.0.2.1"))
        let bobsDomain = try await store.createDomain(account: Fixtures.bob, name: Fixtures.domain("b.example.com"))
        let bobsList = try await store.createIPAccessControlList(account: Fixtures.bob, friendlyName: "l")

        #expect(try await store.domains(account: Fixtures.bob, limit: 50) == [bobsDomain])
        #expect(try await store.ipAccessControlLists(account: Fixtures.bob, limit: 50) == [bobsList])
        #expect(try await store.domain(named: Fixtures.domain("a.example.com"), account: Fixtures.bob) == nil)
        await #expect(throws: PolicyStoreError.notFound(domain.sid)) {
            try await store.domain(domain.sid, account: Fixtures.bob)
        }
        await #expect(throws: PolicyStoreError.notFound(domain.sid)) {
            try await store.updateDomain(domain.sid, account: Fixtures.bob) { $0.settings.secure = true }
        }
        await #expect(throws: PolicyStoreError.notFound(domain.sid)) {
            try await store.deleteDomain(domain.sid, account: Fixtures.bob)
        }
        await #expect(throws: PolicyStoreError.notFound(list.sid)) {
            try await store.ipAddresses(list: list.sid, account: Fixtures.bob, limit: 50)
        }
        await #expect(throws: PolicyStoreError.notFound(list.sid)) {
            try await store.ipAddress(entry.sid, list: list.sid, account: Fixtures.bob)
        }
        await #expect(throws: PolicyStoreError.notFound(list.sid)) {
            try await store.deleteIPAccessControlList(list.sid, account: Fixtures.bob)
        }
        // Bob cannot map Alice's list to his domain, nor his list to her domain.
        await #expect(throws: PolicyStoreError.notFound(list.sid)) {
            try await store.createMapping(.legacy, domain: bobsDomain.sid, list: list.sid, account: Fixtures.bob)
        }
        await #expect(throws: PolicyStoreError.notFound(domain.sid)) {
            try await store.createMapping(.legacy, domain: domain.sid, list: bobsList.sid, account: Fixtures.bob)
        }
        // An entry is found only under its own list.
        await #expect(throws: PolicyStoreError.notFound(entry.sid)) {
            try await store.ipAddress(entry.sid, list: bobsList.sid, account: Fixtures.bob)
        }
        #expect(try await store.domain(domain.sid, account: Fixtures.alice) == domain)
    }

    @Test("the schema itself refuses cross-account links, unnormalised and duplicate names")
    func schemaConstraints() async throws {
        let domain = try await store.createDomain(account: Fixtures.alice, name: Fixtures.domain("a.example.com"))
        let bobsList = try await store.createIPAccessControlList(account: Fixtures.bob, friendlyName: "l")
        let before = try await store.generation()

        await expectConstraintViolation {
            try await store.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO ip_access_control_list_mapping VALUES ('legacy', ?, ?, ?, 0, 0)
                        """,
                    arguments: [Fixtures.alice.rawValue, domain.sid.rawValue, bobsList.sid.rawValue])
            }
        }
        await expectConstraintViolation {
            try await store.write { db in
                try db.execute(
                    sql:
                        "INSERT INTO domain (sid, account_sid, domain_name, date_created, date_updated) VALUES (?, ?, ?, 0, 0)",
                    arguments: [SID.random(.domain).rawValue, Fixtures.bob.rawValue, "A.example.com"])
            }
        }
        await expectConstraintViolation {
            try await store.write { db in
                try db.execute(
                    sql:
                        "INSERT INTO domain (sid, account_sid, domain_name, date_created, date_updated) VALUES (?, ?, ?, 0, 0)",
                    arguments: [SID.random(.domain).rawValue, Fixtures.bob.rawValue, "a.example.com"])
            }
        }
        await expectConstraintViolation {
            try await store.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO ip_address VALUES (?, ?, ?, 'x', ?, 33, 0, 0)
                        """,
                    arguments: [
                        SID.random(.ipAddress).rawValue, Fixtures.bob.rawValue, bobsList.sid.rawValue, Data([192, 0, 2, 1]),
                    ])
            }
        }
        #expect(try await store.generation() == before)
    }

    @Test("SIDs of the wrong kind are refused")
    func wrongKinds() async throws {
        let notAnAccount = SID.random(.domain)
        await #expect(throws: PolicyStoreError.wrongKindOfSID(notAnAccount, expected: .account)) {
            try await store.createDomain(account: notAnAccount, name: Fixtures.domain("a.example.com"))
        }
        #expect(try await store.generation() == 0)
    }

    @Test("paging by SID stays correct when records come and go between pages")
    func pagingCursor() async throws {
        var sids: [SID] = []
        for index in 0..<7 {
            sids.append(
                try await store.createDomain(account: Fixtures.alice, name: Fixtures.domain("d\(index).example.com"))
                    .sid)
        }
        sids.sort()
        let first = try await store.domains(account: Fixtures.alice, limit: 3)
        #expect(first.map(\.sid) == Array(sids[0..<3]))
        // Delete the cursor record and a record on the next page; add one before the cursor.
        try await store.deleteDomain(sids[2], account: Fixtures.alice)
        try await store.deleteDomain(sids[4], account: Fixtures.alice)
        let second = try await store.domains(account: Fixtures.alice, after: sids[2], limit: 3)
        #expect(second.map(\.sid) == [sids[3], sids[5], sids[6]])
        #expect(try await store.domains(account: Fixtures.alice, after: sids[6], limit: 3).isEmpty)
    }

    private func count(_ table: String) async throws -> Int {
        try await store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? -1 }
    }
}
