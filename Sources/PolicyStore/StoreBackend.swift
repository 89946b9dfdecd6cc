/// The database a ``PolicyStore`` keeps its records in: SQLite (embedded, one file) or
/// PostgreSQL (shared by a fleet of nodes).
///
/// A back-end runs the store's transactions; the store's SQL and its rules are the same on
/// both. Errors that mean "the database cannot be used now" come out of ``read(_:)`` and
/// ``write(_:)`` as ``PolicyStoreError/unavailable(_:)``.
protocol StoreBackend: Sendable {
    /// Runs `body` in a read-only transaction: one consistent snapshot of the records.
    func read<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T

    /// Runs `body` in a write transaction, committed when `body` returns and rolled back
    /// when it throws. Writes are serialised.
    func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T

    /// Calls `publish` with the generation of each write committed through another
    /// connection (another node, another process), as soon as the database says so, until
    /// the calling task is cancelled. A back-end without such notifications (SQLite)
    /// returns at once; its readers look at the generation instead.
    func followCommits(_ publish: @escaping @Sendable (UInt64) -> Void) async
}
