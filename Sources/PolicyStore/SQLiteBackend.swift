import GRDB

/// The embedded back-end: a SQLite file (or memory) through GRDB.
struct SQLiteBackend: StoreBackend {
    /// GRDB's pool (a file: concurrent reads in WAL mode) or queue (in memory).
    let writer: any DatabaseWriter

    func read<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        do {
            return try await writer.read { db in try body(SQLiteTransaction(db)) }
        } catch {
            throw Self.classify(error)
        }
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        do {
            return try await writer.write { db in try body(SQLiteTransaction(db)) }
        } catch {
            throw Self.classify(error)
        }
    }

    /// SQLite tells one connection nothing of another's commits: returns at once. (The
    /// daemon looks at the store's generation a few times a second.)
    func followCommits(_ publish: @escaping @Sendable (UInt64) -> Void) async {}

    /// `error` as ``PolicyStoreError/unavailable(_:)`` when it says the database cannot be
    /// used now (locked, full, read-only, unreadable, damaged), as
    /// ``PolicyStoreError/constraintViolation(_:)`` when a constraint refused a write, else
    /// unchanged.
    static func classify(_ error: any Error) -> any Error {
        guard let error = error as? DatabaseError else { return error }
        switch error.resultCode.primaryResultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return PolicyStoreError.unavailable("the database is locked by another writer")
        case .SQLITE_IOERR, .SQLITE_FULL, .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PROTOCOL, .SQLITE_NOMEM,
            .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return PolicyStoreError.unavailable(error.message ?? "\(error.resultCode)")
        case .SQLITE_CONSTRAINT:
            return PolicyStoreError.constraintViolation(error.message ?? "\(error.resultCode)")
        default:
            return error
        }
    }
}
