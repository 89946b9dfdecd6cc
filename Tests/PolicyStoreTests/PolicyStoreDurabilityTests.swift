import Foundation
import GRDB
import Testing

@testable import PolicyStore

@Suite("PolicyStore on disk")
struct PolicyStoreDurabilityTests {
    @Test("a file store runs in WAL mode with synchronous FULL and keeps its records across reopening")
    func reopen() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sipfence-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("policy.sqlite").path

        let domainSID: SID
        do {
            let store = try PolicyStore(path: path)
            let settings = try await store.read { db in
                (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
            }
            #expect(settings.0 == "wal")
            #expect(settings.1 == 2)  // FULL
            let written = try await store.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
            #expect(written == 2)
            let domain = try await store.createDomain(account: Fixtures.alice, name: Fixtures.domain("a.example.com"))
            let list = try await store.createIPAccessControlList(account: Fixtures.alice, friendlyName: "l")
            _ = try await store.createIPAddress(
                account: Fixtures.alice, list: list.sid, friendlyName: "v6", prefix: Fixtures.prefix("2001:db8::/48"))
            _ = try await store.createMapping(.legacy, domain: domain.sid, list: list.sid, account: Fixtures.alice)
            domainSID = domain.sid
        }

        let reopened = try PolicyStore(path: path)
        #expect(try await reopened.generation() == 4)
        #expect(try await reopened.domain(domainSID, account: Fixtures.alice).name.normalized == "a.example.com")
        let policy = try await reopened.compilePolicy()
        #expect(
            policy.decide(domain: Fixtures.domain("a.example.com"), source: Fixtures.address("2001:db8:0:1::1"))
                .isAdmitted)
    }
}

@Suite("PolicyStore SIP secret")
struct PolicyStoreSecretTests {
    @Test("the first caller stores its secret; every later caller, after a reopen too, gets the same one")
    func persistentSecret() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sipfence-secret-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("policy.sqlite").path

        let first = Array(repeating: UInt8(7), count: 32)
        do {
            let store = try PolicyStore(path: path)
            #expect(try await store.sipSecret(storingIfAbsent: first) == first)
            #expect(try await store.sipSecret(storingIfAbsent: Array(repeating: 9, count: 32)) == first)
            #expect(try await store.generation() == 0)  // not a policy change
        }
        // A second node (another connection to the same file) and a restart agree.
        let other = try PolicyStore(path: path)
        #expect(try await other.sipSecret(storingIfAbsent: Array(repeating: 1, count: 32)) == first)
    }
}
