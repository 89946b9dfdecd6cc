import Foundation
import GRDB
import TestSupport
import Testing

@testable import PolicyStore

/// What a store does when its database is held by someone else: another process writing
/// (a `sipfence policy import` of a large file holds SQLite's write lock for seconds), or
/// a database that cannot be used at all.
@Suite("PolicyStore when the database is busy or unavailable")
struct PolicyStoreAvailabilityTests {
    @Test("a write waits for another writer's lock, then commits")
    func writeWaitsForTheLock() async throws {
        try await ScratchStore.withPath { path in
            let store = try PolicyStore(path: path, busyTimeout: .seconds(10))
            // Another connection (as another process would) holds the write lock for 300 ms
            // after the write has begun to wait for it.
            let lock = try await SQLiteWriteLock(path: path)
            let writing = Task {
                try await store.createDomain(account: Fixtures.alice, name: Fixtures.domain("wait.example.com"))
            }
            try await Task.sleep(for: .milliseconds(300))
            try await lock.release()
            let domain = try await writing.value
            #expect(try await store.domain(domain.sid, account: Fixtures.alice).name.normalized == "wait.example.com")
        }
    }

    @Test("a write that cannot get the lock within the busy timeout fails as unavailable; reads go on")
    func busyBeyondTheTimeout() async throws {
        try await ScratchStore.withPath { path in
            let store = try PolicyStore(path: path, busyTimeout: .milliseconds(200))
            let kept = try await store.createDomain(account: Fixtures.alice, name: Fixtures.domain("kept.example.com"))
            // Another connection (as another process would) takes the write lock and keeps
            // it until released.
            let lock = try await SQLiteWriteLock(path: path)
            var failure: (any Error)?
            do {
                _ = try await store.createDomain(account: Fixtures.alice, name: Fixtures.domain("late.example.com"))
            } catch {
                failure = error
            }
            // WAL readers are not blocked by a writer: reads answer from the store.
            let keptName = try? await store.domain(kept.sid, account: Fixtures.alice).name.normalized
            let generation = try? await store.generation()
            try await lock.release()

            guard case .unavailable(let reason)? = failure as? PolicyStoreError else {
                Issue.record("expected PolicyStoreError.unavailable, got \(String(describing: failure))")
                return
            }
            #expect(reason.contains("locked"), "\(reason)")
            #expect(keptName == "kept.example.com")
            #expect(generation == 1)
            // Once the other writer is gone, writes go through again.
            _ = try await store.createDomain(account: Fixtures.alice, name: Fixtures.domain("later.example.com"))
            #expect(try await store.generation() == 2)
        }
    }
}

@Suite("PolicyStore opened by several processes at once")
struct PolicyStoreConcurrentOpeningTests {
    /// Several nodes (or a daemon and a `policy import`) starting together on a new store
    /// file: the schema is created once, and every one of them opens it. Each store runs
    /// its migrations in a write transaction, so the others wait for the lock and then
    /// find nothing left to do.
    @Test("eight stores opening one new file at once all succeed, and the schema is made once")
    func openingTogether() async throws {
        try await ScratchStore.withPath { path in
            let opened = try await withThrowingTaskGroup(of: UInt64.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let store = try PolicyStore(path: path)
                        return try await store.generation()
                    }
                }
                var generations: [UInt64] = []
                for try await generation in group { generations.append(generation) }
                return generations
            }
            #expect(opened == Array(repeating: 0, count: 8))
            let migrations = try await DatabaseQueue(path: path).read { db in
                try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
            }
            #expect(migrations.count == 5 && Set(migrations).count == 5, "\(migrations)")
        }
    }
}
