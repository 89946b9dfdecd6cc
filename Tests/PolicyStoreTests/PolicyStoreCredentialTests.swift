import AccessControl
import Foundation
import StoreTestSupport
import Testing

@testable import PolicyStore

@Suite("PolicyStore credential lists, credentials and their mappings")
struct PolicyStoreCredentialTests {
    let clock = TestClock()
    let store: PolicyStore

    init() async throws {
        store = try await TestStores.make(now: clock.now)
    }

    @Test("creates, reads, updates and deletes credential lists, credentials and all three kinds of mapping")
    func lifecycle() async throws {
        let list = try await store.createCredentialList(account: Fixtures.alice, friendlyName: "phones")
        #expect(list.sid.kind == .credentialList)
        #expect(list.accountSID == Fixtures.alice)
        #expect(list.dateCreated == clock.now())
        #expect(try await store.credentialList(list.sid, account: Fixtures.alice) == list)
        #expect(try await store.credentialLists(account: Fixtures.alice, limit: 50) == [list])

        let secret = Fixtures.secret("alice", "Correct4Horse")
        let credential = try await store.createCredential(
            account: Fixtures.alice, list: list.sid, username: "alice", secret: secret)
        #expect(credential.sid.kind == .credential)
        #expect(credential.listSID == list.sid)
        #expect(credential.username == "alice")
        #expect(credential.secret == secret)
        #expect(
            credential.secret.ha1(.md5)
                == DigestAlgorithm.md5.ha1(username: "alice", realm: "sipfence", password: "Correct4Horse"))
        #expect(try await store.credential(credential.sid, list: list.sid, account: Fixtures.alice) == credential)
        #expect(try await store.credentials(list: list.sid, account: Fixtures.alice, limit: 50) == [credential])

        clock.advance(by: 60)
        let changed = try await store.updateCredential(
            credential.sid, list: list.sid, account: Fixtures.alice, secret: Fixtures.secret("alice", "Battery5Staple"))
        #expect(changed.secret == Fixtures.secret("alice", "Battery5Staple"))
        #expect(changed.dateCreated == credential.dateCreated)
        #expect(changed.dateUpdated == credential.dateCreated.addingTimeInterval(60))
        let renamed = try await store.renameCredentialList(
            list.sid, account: Fixtures.alice, friendlyName: "desk phones")
        #expect(renamed.friendlyName == "desk phones")

        let domain = try await store.createDomain(account: Fixtures.alice, name: Fixtures.domain("pbx.example.com"))
        #expect(domain.credentialListMappingKinds.isEmpty)
        let registrations = try await store.createCredentialListMapping(
            .authRegistrations, domain: domain.sid, list: list.sid, account: Fixtures.alice)
        #expect(registrations.sid == list.sid)
        #expect(registrations.friendlyName == "desk phones")
        var stored = try await store.domain(domain.sid, account: Fixtures.alice)
        #expect(stored.credentialListMappingKinds == [.authRegistrations])
        #expect(!stored.hasCallCredentialListMappings, "a registration mapping does not authenticate calls")
        for kind in [CredentialMappingKind.legacy, .authCalls] {
            _ = try await store.createCredentialListMapping(
                kind, domain: domain.sid, list: list.sid, account: Fixtures.alice)
        }
        stored = try await store.domain(domain.sid, account: Fixtures.alice)
        #expect(stored.credentialListMappingKinds == Set(CredentialMappingKind.allCases))
        #expect(stored.hasCallCredentialListMappings)
        #expect(!stored.hasIPAccessControlListMappings)
        for kind in CredentialMappingKind.allCases {
            let mapping = try await store.credentialListMapping(
                kind, domain: domain.sid, list: list.sid, account: Fixtures.alice)
            #expect(mapping.kind == kind)
            #expect(mapping.domainSID == domain.sid)
            #expect(
                try await store.credentialListMappings(kind, domain: domain.sid, account: Fixtures.alice, limit: 50)
                    == [mapping])
        }

        try await store.deleteCredentialListMapping(
            .legacy, domain: domain.sid, list: list.sid, account: Fixtures.alice)
        await #expect(throws: PolicyStoreError.credentialMappingNotFound(.legacy, domain: domain.sid, list: list.sid)) {
            try await store.credentialListMapping(.legacy, domain: domain.sid, list: list.sid, account: Fixtures.alice)
        }
        await #expect(throws: PolicyStoreError.credentialMappingNotFound(.legacy, domain: domain.sid, list: list.sid)) {
            try await store.deleteCredentialListMapping(
                .legacy, domain: domain.sid, list: list.sid, account: Fixtures.alice)
        }
        try await store.deleteCredential(credential.sid, list: list.sid, account: Fixtures.alice)
        await #expect(throws: PolicyStoreError.notFound(credential.sid)) {
            try await store.credential(credential.sid, list: list.sid, account: Fixtures.alice)
        }
        try await store.deleteCredentialList(list.sid, account: Fixtures.alice)
        await #expect(throws: PolicyStoreError.notFound(list.sid)) {
            try await store.credentialList(list.sid, account: Fixtures.alice)
        }
        #expect(try await store.domain(domain.sid, account: Fixtures.alice).credentialListMappingKinds.isEmpty)
    }

    @Test("a username is unique within its list, and a list is mapped to a domain once per kind")
    func uniqueness() async throws {
        let list = try await store.createCredentialList(account: Fixtures.alice, friendlyName: "a")
        let other = try await store.createCredentialList(account: Fixtures.alice, friendlyName: "b")
        _ = try await store.createCredential(
            account: Fixtures.alice, list: list.sid, username: "alice", secret: Fixtures.secret("alice", "x"))
        await #expect(throws: PolicyStoreError.usernameTaken("alice", list: list.sid)) {
            try await store.createCredential(
                account: Fixtures.alice, list: list.sid, username: "alice", secret: Fixtures.secret("alice", "y"))
        }
        // Usernames are case-sensitive, as digest usernames are; another list may reuse one.
        _ = try await store.createCredential(
            account: Fixtures.alice, list: list.sid, username: "Alice", secret: Fixtures.secret("Alice", "x"))
        _ = try await store.createCredential(
            account: Fixtures.alice, list: other.sid, username: "alice", secret: Fixtures.secret("alice", "x"))

        let domain = try await store.createDomain(account: Fixtures.alice, name: Fixtures.domain("a.example.com"))
        for kind in CredentialMappingKind.allCases {
            _ = try await store.createCredentialListMapping(
                kind, domain: domain.sid, list: list.sid, account: Fixtures.alice)
            await #expect(
                throws: PolicyStoreError.credentialListAlreadyMapped(kind, domain: domain.sid, list: list.sid)
            ) {
                try await store.createCredentialListMapping(
                    kind, domain: domain.sid, list: list.sid, account: Fixtures.alice)
            }
        }
        #expect(try await count("credential") == 3)
        #expect(try await count("credential_list_mapping") == 3)
    }

    @Test(
        "usernames must fit a SIP quoted string and 32 characters",
        arguments: ["", String(repeating: "u", count: 33), "al\"ice", "al\\ice", "al\nice", "tab\tbed", "nul\u{0}"])
    func invalidUsernames(username: String) async throws {
        let list = try await store.createCredentialList(account: Fixtures.alice, friendlyName: "l")
        let before = try await store.generation()
        await #expect(throws: PolicyStoreError.self) {
            try await store.createCredential(
                account: Fixtures.alice, list: list.sid, username: username, secret: Fixtures.secret("x", "y"))
        }
        #expect(throws: PolicyStoreError.self) { try CredentialRecord.checkUsername(username) }
        #expect(try await store.generation() == before)
    }

    @Test(
        "usernames of up to 32 characters, any script, are accepted",
        arguments: ["a", "1001", String(repeating: "é", count: 32), "user@example.com", "pbx:7"])
    func validUsernames(username: String) throws {
        try CredentialRecord.checkUsername(username)
    }

    @Test(
        "a secret's hashes must have their algorithm's shape, and its realm must be usable",
        arguments: [
            ("sipfence", String(repeating: "A", count: 32), String(repeating: "a", count: 64)),
            ("sipfence", String(repeating: "a", count: 31), String(repeating: "a", count: 64)),
            ("sipfence", String(repeating: "a", count: 32), String(repeating: "a", count: 32)),
            ("sipfence", String(repeating: "g", count: 32), String(repeating: "a", count: 64)),
            ("sipfence", String(repeating: "a", count: 32), String(repeating: "a", count: 63) + " "),
            ("", String(repeating: "a", count: 32), String(repeating: "a", count: 64)),
            ("sip\"fence", String(repeating: "a", count: 32), String(repeating: "a", count: 64)),
            (String(repeating: "r", count: 256), String(repeating: "a", count: 32), String(repeating: "a", count: 64)),
        ])
    func invalidSecrets(realm: String, md5: String, sha256: String) {
        #expect(throws: PolicyStoreError.self) { try CredentialSecret(realm: realm, ha1MD5: md5, ha1SHA256: sha256) }
    }

    @Test("deleting a credential list removes its credentials and mappings; deleting a domain removes its mappings")
    func cascades() async throws {
        let domain = try await store.createDomain(account: Fixtures.alice, name: Fixtures.domain("a.example.com"))
        let kept = try await store.createDomain(account: Fixtures.alice, name: Fixtures.domain("b.example.com"))
        let list = try await store.createCredentialList(account: Fixtures.alice, friendlyName: "l")
        _ = try await store.createCredential(
            account: Fixtures.alice, list: list.sid, username: "u", secret: Fixtures.secret("u", "p"))
        for kind in CredentialMappingKind.allCases {
            _ = try await store.createCredentialListMapping(
                kind, domain: domain.sid, list: list.sid, account: Fixtures.alice)
            _ = try await store.createCredentialListMapping(
                kind, domain: kept.sid, list: list.sid, account: Fixtures.alice)
        }
        #expect(try await count("credential_list_mapping") == 6)

        try await store.deleteDomain(domain.sid, account: Fixtures.alice)
        #expect(try await count("credential_list_mapping") == 3)
        #expect(try await count("credential_list") == 1)

        let before = try await store.generation()
        try await store.deleteCredentialList(list.sid, account: Fixtures.alice)
        #expect(try await store.generation() == before + 1, "the cascade is one change")
        #expect(try await count("credential_list_mapping") == 0)
        #expect(try await count("credential") == 0)
        #expect(try await store.domain(kept.sid, account: Fixtures.alice).credentialListMappingKinds.isEmpty)
    }

    @Test("one account never sees or touches another's credential lists, credentials or mappings")
    func accountIsolation() async throws {
        let list = try await store.createCredentialList(account: Fixtures.alice, friendlyName: "l")
        let credential = try await store.createCredential(
            account: Fixtures.alice, list: list.sid, username: "u", secret: Fixtures.secret("u", "p"))
        let domain = try await store.createDomain(account: Fixtures.alice, name: Fixtures.domain("a.example.com"))
        _ = try await store.createCredentialListMapping(
            .authCalls, domain: domain.sid, list: list.sid, account: Fixtures.alice)
        let bobsDomain = try await store.createDomain(account: Fixtures.bob, name: Fixtures.domain("b.example.com"))
        let bobsList = try await store.createCredentialList(account: Fixtures.bob, friendlyName: "l")

        #expect(try await store.credentialLists(account: Fixtures.bob, limit: 50) == [bobsList])
        await #expect(throws: PolicyStoreError.notFound(list.sid)) {
            try await store.credentialList(list.sid, account: Fixtures.bob)
        }
        await #expect(throws: PolicyStoreError.notFound(list.sid)) {
            try await store.renameCredentialList(list.sid, account: Fixtures.bob, friendlyName: "mine")
        }
        await #expect(throws: PolicyStoreError.notFound(list.sid)) {
            try await store.deleteCredentialList(list.sid, account: Fixtures.bob)
        }
        await #expect(throws: PolicyStoreError.notFound(list.sid)) {
            try await store.credentials(list: list.sid, account: Fixtures.bob, limit: 50)
        }
        await #expect(throws: PolicyStoreError.notFound(list.sid)) {
            try await store.credential(credential.sid, list: list.sid, account: Fixtures.bob)
        }
        await #expect(throws: PolicyStoreError.notFound(list.sid)) {
            try await store.updateCredential(
                credential.sid, list: list.sid, account: Fixtures.bob, secret: Fixtures.secret("u", "q"))
        }
        await #expect(throws: PolicyStoreError.notFound(list.sid)) {
            try await store.createCredential(
                account: Fixtures.bob, list: list.sid, username: "v", secret: Fixtures.secret("v", "p"))
        }
        // A credential is found only under its own list.
        await #expect(throws: PolicyStoreError.notFound(credential.sid)) {
            try await store.credential(credential.sid, list: bobsList.sid, account: Fixtures.bob)
        }
        // Bob cannot map Alice's list to his domain, nor his list to her domain, nor read hers.
        await #expect(throws: PolicyStoreError.notFound(list.sid)) {
            try await store.createCredentialListMapping(
                .legacy, domain: bobsDomain.sid, list: list.sid, account: Fixtures.bob)
        }
        await #expect(throws: PolicyStoreError.notFound(domain.sid)) {
            try await store.createCredentialListMapping(
                .legacy, domain: domain.sid, list: bobsList.sid, account: Fixtures.bob)
        }
        await #expect(throws: PolicyStoreError.notFound(domain.sid)) {
            try await store.credentialListMappings(.authCalls, domain: domain.sid, account: Fixtures.bob, limit: 50)
        }
        await #expect(throws: PolicyStoreError.notFound(domain.sid)) {
            try await store.deleteCredentialListMapping(
                .authCalls, domain: domain.sid, list: list.sid, account: Fixtures.bob)
        }
        #expect(try await store.credential(credential.sid, list: list.sid, account: Fixtures.alice) == credential)
        #expect(try await count("credential_list_mapping") == 1)
    }

    @Test("the schema itself refuses malformed hashes, long usernames, unknown kinds and cross-account links")
    func schemaConstraints() async throws {
        let list = try await store.createCredentialList(account: Fixtures.alice, friendlyName: "l")
        let domain = try await store.createDomain(account: Fixtures.alice, name: Fixtures.domain("a.example.com"))
        let bobsList = try await store.createCredentialList(account: Fixtures.bob, friendlyName: "l")
        let before = try await store.generation()
        let md5 = String(repeating: "a", count: 32)
        let sha = String(repeating: "b", count: 64)

        let refused: [(String, StoreArguments)] = [
            // Upper-case hex, a short hash, a long username, an empty realm, a list of Bob's.
            (
                "INSERT INTO credential VALUES (?, ?, ?, 'u', 'r', ?, ?, 0, 0)",
                [SID.random(.credential).rawValue, Fixtures.alice.rawValue, list.sid.rawValue, md5.uppercased(), sha]
            ),
            (
                "INSERT INTO credential VALUES (?, ?, ?, 'u', 'r', ?, ?, 0, 0)",
                [
                    SID.random(.credential).rawValue, Fixtures.alice.rawValue, list.sid.rawValue, md5,
                    String(sha.dropLast()),
                ]
            ),
            (
                "INSERT INTO credential VALUES (?, ?, ?, ?, 'r', ?, ?, 0, 0)",
                [
                    SID.random(.credential).rawValue, Fixtures.alice.rawValue, list.sid.rawValue,
                    String(repeating: "u", count: 33), md5, sha,
                ]
            ),
            (
                "INSERT INTO credential VALUES (?, ?, ?, 'u', '', ?, ?, 0, 0)",
                [SID.random(.credential).rawValue, Fixtures.alice.rawValue, list.sid.rawValue, md5, sha]
            ),
            (
                "INSERT INTO credential VALUES (?, ?, ?, 'u', 'r', ?, ?, 0, 0)",
                [SID.random(.credential).rawValue, Fixtures.alice.rawValue, bobsList.sid.rawValue, md5, sha]
            ),
            (
                "INSERT INTO credential VALUES (?, ?, ?, 'u', 'r', ?, ?, 0, 0)",
                [SID.random(.ipAddress).rawValue, Fixtures.alice.rawValue, list.sid.rawValue, md5, sha]
            ),
            (
                "INSERT INTO credential_list_mapping VALUES ('auth_everything', ?, ?, ?, 0, 0)",
                [Fixtures.alice.rawValue, domain.sid.rawValue, list.sid.rawValue]
            ),
            (
                "INSERT INTO credential_list_mapping VALUES ('legacy', ?, ?, ?, 0, 0)",
                [Fixtures.alice.rawValue, domain.sid.rawValue, bobsList.sid.rawValue]
            ),
            (
                "INSERT INTO credential_list (sid, account_sid, friendly_name, date_created, date_updated) VALUES (?, ?, ?, 0, 0)",
                [SID.random(.credentialList).rawValue, Fixtures.alice.rawValue, String(repeating: "n", count: 65)]
            ),
        ]
        for (sql, arguments) in refused {
            await expectConstraintViolation("\(sql)") {
                try await store.write { db in try db.execute(sql: sql, arguments: arguments) }
            }
        }
        #expect(try await store.generation() == before)
    }

    @Test("every credential write bumps the generation once; no-ops and refusals do not")
    func generations() async throws {
        let list = try await store.createCredentialList(account: Fixtures.alice, friendlyName: "l")
        #expect(try await store.generation() == 1)
        let credential = try await store.createCredential(
            account: Fixtures.alice, list: list.sid, username: "u", secret: Fixtures.secret("u", "p"))
        let domain = try await store.createDomain(account: Fixtures.alice, name: Fixtures.domain("a.example.com"))
        _ = try await store.createCredentialListMapping(
            .authCalls, domain: domain.sid, list: list.sid, account: Fixtures.alice)
        #expect(try await store.generation() == 4)

        // The same password (same hashes) and the same name write nothing.
        clock.advance(by: 5)
        let same = try await store.updateCredential(
            credential.sid, list: list.sid, account: Fixtures.alice, secret: Fixtures.secret("u", "p"))
        #expect(same.dateUpdated == credential.dateUpdated)
        _ = try await store.renameCredentialList(list.sid, account: Fixtures.alice, friendlyName: "l")
        #expect(try await store.generation() == 4)

        await #expect(throws: PolicyStoreError.self) {
            try await store.createCredential(
                account: Fixtures.alice, list: list.sid, username: "u", secret: Fixtures.secret("u", "q"))
        }
        await #expect(throws: PolicyStoreError.self) {
            try await store.createCredentialListMapping(
                .authCalls, domain: domain.sid, list: list.sid, account: Fixtures.alice)
        }
        #expect(try await store.generation() == 4)

        _ = try await store.updateCredential(
            credential.sid, list: list.sid, account: Fixtures.alice, secret: Fixtures.secret("u", "q"))
        try await store.deleteCredentialListMapping(
            .authCalls, domain: domain.sid, list: list.sid, account: Fixtures.alice)
        try await store.deleteCredential(credential.sid, list: list.sid, account: Fixtures.alice)
        #expect(try await store.generation() == 7)
    }

    @Test("the store reports the distinct realms its hashes were made for")
    func realms() async throws {
        #expect(try await store.credentialRealms() == [])
        let list = try await store.createCredentialList(account: Fixtures.alice, friendlyName: "l")
        let bobs = try await store.createCredentialList(account: Fixtures.bob, friendlyName: "l")
        _ = try await store.createCredential(
            account: Fixtures.alice, list: list.sid, username: "a", secret: Fixtures.secret("a", "p"))
        _ = try await store.createCredential(
            account: Fixtures.alice, list: list.sid, username: "b",
            secret: Fixtures.secret("b", "p", realm: "pbx.example.com"))
        _ = try await store.createCredential(
            account: Fixtures.bob, list: bobs.sid, username: "a", secret: Fixtures.secret("a", "p"))
        #expect(try await store.credentialRealms() == ["pbx.example.com", "sipfence"])
    }

    @Test("credentials page by SID like every other list")
    func paging() async throws {
        let list = try await store.createCredentialList(account: Fixtures.alice, friendlyName: "l")
        var sids: [SID] = []
        for index in 0..<5 {
            sids.append(
                try await store.createCredential(
                    account: Fixtures.alice, list: list.sid, username: "u\(index)", secret: Fixtures.secret("u", "p")
                ).sid)
        }
        sids.sort()
        let first = try await store.credentials(list: list.sid, account: Fixtures.alice, limit: 2)
        #expect(first.map(\.sid) == Array(sids[0..<2]))
        let second = try await store.credentials(list: list.sid, account: Fixtures.alice, after: sids[1], limit: 2)
        #expect(second.map(\.sid) == Array(sids[2..<4]))
        let offset = try await store.credentials(list: list.sid, account: Fixtures.alice, offset: 4, limit: 2)
        #expect(offset.map(\.sid) == [sids[4]])
    }

    private func count(_ table: String) async throws -> Int {
        try await store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? -1 }
    }
}
