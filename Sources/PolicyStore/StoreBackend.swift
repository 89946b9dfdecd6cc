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
}
