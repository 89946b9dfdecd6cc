import AccessControl
import Foundation
import Logging
import StoreTestSupport
import Testing
import TestSupport

@testable import PolicyStore

/// What only the PostgreSQL back-end does: parameters, its migrations, its notifications,
/// and a server that goes away. (Everything the store does on both back-ends is in the
/// other suites, which `scripts/test.sh` runs on each.)
@Suite("PostgreSQL back-end", .serialized)
struct PostgresBackendTests {
    @Test(
        "parameters are numbered outside quoted literals only",
        arguments: [
            ("SELECT ?", "SELECT $1"),
            ("SELECT ?, '?', ?", "SELECT $1, '?', $2"),
            ("UPDATE t SET a = 'it''s ?' WHERE b = ?", "UPDATE t SET a = 'it''s ?' WHERE b = $1"),
        ])
    func numbering(sql: String, numbered: String) {
        #expect(PostgresTransaction.numberingParameters(sql) == numbered)
    }

    @Test("both back-ends have the same migrations, in the same order")
    func sameMigrations() {
        #expect(PolicyStoreSchema.migrator(logger: Logger(label: "test")).migrations == PostgresSchema.migrations.map(\.identifier))
    }

    @Test("a store on PostgreSQL keeps records, compiles them and journals each write")
    func recordsRoundTrip() async throws {
        let store = try await TestStores.make(.postgres)
        let account = Fixtures.alice
        let domain = try await store.createDomain(account: account, name: Fixtures.domain("Pbx.Example.com"))
        let list = try await store.createIPAccessControlList(account: account, friendlyName: "office")
        let entry = try await store.createIPAddress(
            account: account, list: list.sid, friendlyName: "lan", prefix: Fixtures.prefix("192.0.2.0/24"))
        _ = try await store.createMapping(.legacy, domain: domain.sid, list: list.sid, account: account)
        #expect(try await store.generation() == 4)
        #expect(try await store.ipAddress(entry.sid, list: list.sid, account: account).prefix == Fixtures.prefix("192.0.2.0/24"))
        #expect(try await store.domain(named: Fixtures.domain("PBX.example.com"), account: account)?.sid == domain.sid)
        let policy = try await store.compilePolicy()
        #expect(policy.generation == 4)
        #expect(policy.decide(domain: Fixtures.domain("pbx.example.com"), source: Fixtures.address("192.0.2.9")).isAdmitted)
        #expect(!policy.decide(domain: Fixtures.domain("pbx.example.com"), source: Fixtures.address("198.51.100.1")).isAdmitted)

        // The journal tells a tracker exactly the address change.
        var tracker = try await PolicyTracker(compiling: store)
        try await store.deleteIPAddress(entry.sid, list: list.sid, account: account)
        #expect(try await tracker.catchUp(with: store) == .applied(changes: 1))
        #expect(!tracker.policy.decide(domain: Fixtures.domain("pbx.example.com"), source: Fixtures.address("192.0.2.9")).isAdmitted)

        // A domain name is taken whatever its case, across accounts.
        await #expect(throws: PolicyStoreError.domainNameTaken(Fixtures.domain("pbx.example.com"))) {
            try await store.createDomain(account: Fixtures.bob, name: Fixtures.domain("PBX.EXAMPLE.COM"))
        }
        // The schema refuses what the store's checks would: a prefix longer than its family's.
        await expectConstraintViolation {
            try await store.write { db in
                try db.execute(
                    sql: "INSERT INTO ip_address VALUES (?, ?, ?, 'x', ?, 33, 0, 0)",
                    arguments: [
                        SID.random(.ipAddress).rawValue, account.rawValue, list.sid.rawValue, Data([192, 0, 2, 1]),
                    ])
            }
        }
        #expect(try await store.generation() == 5)
    }

    @Test("text sorts by bytes on PostgreSQL, as on SQLite, whatever the database's locale")
    func byteOrder() async throws {
        let store = try await TestStores.make(.postgres)
        let uncollated = try await store.read { db in
            try Int.fetchOne(
                db,
                sql: """
                    SELECT count(*) FROM information_schema.columns
                    WHERE table_schema = 'public' AND data_type = 'text' AND collation_name IS DISTINCT FROM 'C'
                    """)
        }
        #expect(uncollated == 0)
        for name in ["b.example.com", "a-c.example.com", "ab.example.com"] {
            _ = try await store.createDomain(account: Fixtures.alice, name: Fixtures.domain(name))
        }
        let exported = try await store.export().accounts.first?.domains.map(\.domainName)
        #expect(exported == ["a-c.example.com", "ab.example.com", "b.example.com"])
    }

    @Test("a write that waits longer than the lock timeout for another node's write fails as unavailable")
    func lockTimeout() async throws {
        let url = try await PostgresServer.shared().makeDatabase()
        let store = try await PolicyStore.connect(to: PostgresStoreSettings(url: url))
        // Another node's long write: it holds the write lock for 20 s.
        let holder = try ManagedProcess.start(
            "/usr/bin/psql",
            arguments: [
                url, "-c", "BEGIN; SELECT pg_advisory_xact_lock(\(PostgresSchema.writeLockKey)); SELECT pg_sleep(20); COMMIT;",
            ],
            name: "psql")
        do {
            try await Task.sleep(for: .milliseconds(500))
            do {
                _ = try await store.createIPAccessControlList(account: Fixtures.alice, friendlyName: "late")
                Issue.record("a write went through while another held the write lock")
            } catch let error as PolicyStoreError {
                guard case .unavailable = error else { throw error }
            }
            #expect(holder.isRunning, "the write failed only once the lock was free: \(holder.standardError)")
            #expect(try await store.generation() == 0)  // reads go on
        } catch {
            await holder.stop()
            throw error
        }
        await holder.stop()
    }

    @Test("nodes starting together on an empty database run each migration exactly once")
    func migrationsOnce() async throws {
        let url = try await PostgresServer.shared().makeDatabase()
        let settings = try PostgresStoreSettings(url: url)
        let stores = try await withThrowingTaskGroup(of: PolicyStore.self) { group in
            for _ in 0..<4 { group.addTask { try await PolicyStore.connect(to: settings) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let applied = try await stores[0].read { db in
            try String.fetchAll(db, sql: "SELECT identifier FROM sipfence_migrations ORDER BY identifier")
        }
        #expect(applied == PostgresSchema.migrations.map(\.identifier).sorted())
        #expect(try await stores[0].generation() == 0)
    }

    @Test("nodes on one database share one SIP secret, whichever stored it first")
    func sharedSecret() async throws {
        let settings = try PostgresStoreSettings(url: try await PostgresServer.shared().makeDatabase())
        let first = try await PolicyStore.connect(to: settings)
        let second = try await PolicyStore.connect(to: settings)
        let candidates = (0..<2).map { _ in (0..<32).map { _ in UInt8.random(in: 0...255) } }
        let (a, b) = try await (
            first.sipSecret(storingIfAbsent: candidates[0]), second.sipSecret(storingIfAbsent: candidates[1])
        )
        #expect(a == b && candidates.contains(a))
        #expect(try await first.generation() == 0)  // not a policy change
    }

    @Test("a write through one node reaches another's change stream by notification")
    func notifications() async throws {
        let url = try await PostgresServer.shared().makeDatabase()
        let settings = try PostgresStoreSettings(url: url)
        let writer = try await PolicyStore.connect(to: settings)
        let follower = try await PolicyStore.connect(to: settings)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await follower.followCommits() }
            var changes = follower.changes().makeAsyncIterator()
            #expect(await changes.next() == 0)
            _ = try await writer.createIPAccessControlList(account: Fixtures.alice, friendlyName: "l")
            #expect(await changes.next() == 1)
            group.cancelAll()
        }
    }

    @Test("while the server is away, operations fail as unavailable; once it is back, they work again")
    func serverAway() async throws {
        try await PostgresServer.with { server in
            let url = try await server.makeDatabase()
            let store = try await PolicyStore.connect(to: PostgresStoreSettings(url: url))
            _ = try await store.createIPAccessControlList(account: Fixtures.alice, friendlyName: "before")
            await server.stop()
            await #expect(throws: PolicyStoreError.self) { try await store.generation() }
            do {
                _ = try await store.createIPAccessControlList(account: Fixtures.alice, friendlyName: "away")
                Issue.record("a write succeeded while the server was away")
            } catch let error as PolicyStoreError {
                guard case .unavailable = error else { throw error }
            }
            try await server.resume()
            _ = try await store.createIPAccessControlList(account: Fixtures.alice, friendlyName: "after")
            #expect(try await store.generation() == 2)
        }
    }

    @Test(
        "store URLs",
        arguments: [
            ("postgres://u:secret@db.example.net:6543/policy", "db.example.net", 6543, "u", "secret", "policy"),
            ("postgresql://u@[::1]/", "::1", 5432, "u", nil, "u"),
        ] as [(String, String, Int, String, String?, String)])
    func settings(url: String, host: String, port: Int, user: String, password: String?, database: String) throws {
        let settings = try PostgresStoreSettings(url: url)
        #expect(settings.host == host)
        #expect(settings.port == port)
        #expect(settings.username == user)
        #expect(settings.password == password)
        #expect(settings.database == database)
        #expect(!settings.description.contains("secret"))
    }

    @Test(
        "URLs that name no PostgreSQL server, or carry settings that would be ignored, are refused",
        arguments: ["sqlite:///x.db", "postgres:///db", "postgres://host/db", "::", "postgres://u:p@db/x?sslmode=verify-full"])
    func badSettings(url: String) {
        #expect(throws: PolicyStoreError.self) { try PostgresStoreSettings(url: url) }
    }
}

/// The connection's TLS modes, against a server with a certificate made for it.
@Suite("PostgreSQL back-end over TLS", .serialized)
struct PostgresTLSTests {
    /// Whether the store's read connection is encrypted, as the server sees it.
    static func encrypted(_ store: PolicyStore) async throws -> Bool {
        try await store.read { db in
            try Bool.fetchOne(db, sql: "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") ?? false
        }
    }

    @Test("require and verify-full (trusting the server's CA) connect over TLS; disable does not")
    func modes() async throws {
        try await PostgresServer.with(tls: true) { server in
            let url = try await server.makeDatabase()
            let required = try await PolicyStore.connect(to: PostgresStoreSettings(url: url, tlsMode: .require))
            #expect(try await Self.encrypted(required))
            let verified = try await PolicyStore.connect(
                to: PostgresStoreSettings(url: url, tlsMode: .verifyFull, tlsCAFile: server.certificate))
            #expect(try await Self.encrypted(verified))
            let plain = try await PolicyStore.connect(to: PostgresStoreSettings(url: url, tlsMode: .disable))
            #expect(try await !Self.encrypted(plain))
        }
    }

    @Test("verify-full refuses a server whose certificate it cannot verify, as unavailable")
    func untrusted() async throws {
        try await PostgresServer.with(tls: true) { server in
            let url = try await server.makeDatabase()
            do {
                _ = try await PolicyStore.connect(to: PostgresStoreSettings(url: url, tlsMode: .verifyFull))
                Issue.record("connected to a server with a self-signed certificate the system does not trust")
            } catch let error as PolicyStoreError {
                guard case .unavailable(let reason) = error else { throw error }
                print("verify-full against an untrusted certificate: \(reason)")
            }
        }
    }

    @Test("require against a server without TLS is refused, as unavailable")
    func serverWithoutTLS() async throws {
        let url = try await PostgresServer.shared().makeDatabase()
        do {
            _ = try await PolicyStore.connect(to: PostgresStoreSettings(url: url, tlsMode: .require))
            Issue.record("a required TLS connection was made without TLS")
        } catch let error as PolicyStoreError {
            guard case .unavailable = error else { throw error }
        }
    }
}
