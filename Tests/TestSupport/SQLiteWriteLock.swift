import Foundation
import GRDB

/// Holds a SQLite database's write lock from a connection of its own until released, as
/// another process writing the same file does (a long `sipfence policy import`): for tests
/// of what the store and the API do meanwhile.
///
/// ```swift
/// let lock = try await SQLiteWriteLock(path: path)   // returns once the lock is held
/// … writes through the store now wait, then fail as unavailable …
/// try await lock.release()
/// ```
public final class SQLiteWriteLock: Sendable {
    private let releasing = DispatchSemaphore(value: 0)
    private let holder: Task<Void, any Error>

    /// Opens the database at `path` and takes its write lock (`BEGIN IMMEDIATE`).
    ///
    /// - Throws: what SQLite reports when the file cannot be opened or locked.
    public init(path: String) async throws {
        let connection = try DatabaseQueue(path: path)
        let (locked, lockTaken) = AsyncStream<Result<Void, any Error>>.makeStream()
        let releasing = self.releasing
        holder = Task.detached {
            try await connection.writeWithoutTransaction { db in
                do {
                    try db.execute(sql: "BEGIN IMMEDIATE")
                } catch {
                    lockTaken.yield(.failure(error))
                    throw error
                }
                lockTaken.yield(.success(()))
                // The connection's own queue waits here, holding the lock, until released.
                releasing.wait()
                try db.execute(sql: "ROLLBACK")
            }
        }
        for await taken in locked {
            try taken.get()
            break
        }
    }

    /// Gives the lock up and waits until the connection has rolled back.
    public func release() async throws {
        releasing.signal()
        try await holder.value
    }
}
