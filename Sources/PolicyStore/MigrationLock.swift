import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Serialises opening and migrating one SQLite store between processes.
///
/// Two processes opening a new store at once (two nodes, or a daemon starting while
/// `sipfence policy import` creates the store) failed in two ways: switching the file to
/// WAL, which SQLite refuses at once rather than waiting while another connection does
/// the same ("database is locked"); and GRDB's migrator, which reads which migrations are
/// applied and then runs each missing one in a transaction of its own — safe within one
/// process only, so both found the schema missing and the second failed with "table
/// policy_generation already exists". A process holds this lock, an exclusive `flock(2)`
/// on the directory that holds the store, from opening the file until its last migration
/// commits; the others wait, then find nothing to do. A directory lock leaves no file
/// behind, and SQLite's own locks (POSIX `fcntl` locks on the database files) are
/// unaffected by it.
enum MigrationLock {
    /// Runs `body` holding the lock for the store file at `databasePath`: `flock(2)` waits
    /// for as long as another process opens and migrates the store.
    ///
    /// - Throws: ``PolicyStoreError/setupFailed(_:)`` when the directory cannot be opened
    ///   or locked; whatever `body` throws.
    static func withLock<T>(forDatabaseAt databasePath: String, _ body: () throws -> T) throws -> T {
        let directory = URL(fileURLWithPath: databasePath).deletingLastPathComponent().path
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw PolicyStoreError.setupFailed("cannot open \(directory) to lock it for migrations: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw PolicyStoreError.setupFailed("cannot lock \(directory) for migrations: \(String(cString: strerror(errno)))")
            }
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }
}
