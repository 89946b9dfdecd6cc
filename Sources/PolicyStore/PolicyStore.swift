public import AccessControl
public import Foundation
import GRDB
public import Logging
import Synchronization

/// The policy's records — domains, IP access control lists, their addresses and the
/// mappings between them — kept per account in SQLite (one node, ``init(path:now:logger:prefixLengthMinimums:busyTimeout:)``)
/// or PostgreSQL (a fleet, ``connect(to:now:logger:prefixLengthMinimums:)``), and compiled
/// on demand into an `AccessControl.Policy`. The records, rules, SQL and schema versions
/// are the same on both back-ends.
///
/// - Durability: a write returns only after the database has committed it to disk (SQLite:
///   `journal_mode = WAL`, `synchronous = FULL`), so a process killed right after a write
///   loses nothing.
/// - Generations: every committed write that changes anything adds one to a persistent
///   policy generation and announces it to ``changes()`` subscribers. A write that changes
///   nothing (an update to the same values, an idempotent ``apply(_:prune:)``) leaves the
///   generation alone.
/// - Isolation: every operation names the account it acts for; records of other accounts
///   are invisible to it (``PolicyStoreError/notFound(_:)``), except that domain names are
///   unique across all accounts, as on Twilio.
///
/// The store is safe to share between tasks. On SQLite, reads run concurrently (WAL) and
/// writes are serialised by SQLite; on PostgreSQL, each node reads on one connection and
/// writes on another, and writes are serialised across every node by an advisory lock.
public final class PolicyStore: Sendable {
    let backend: any StoreBackend
    let now: @Sendable () -> Date
    let broadcaster: PolicyChangeBroadcaster
    private let minimums: Mutex<PrefixLengthMinimums>

    /// Opens the store in the SQLite file at `path`, creating and migrating it as needed.
    ///
    /// - Parameters:
    ///   - path: the database file; its directory must exist. SQLite keeps `-wal` and
    ///     `-shm` files beside it.
    ///   - now: the clock for `date_created` and `date_updated`.
    ///   - logger: where schema migrations report what they changed (at warning level).
    ///   - prefixLengthMinimums: the shortest prefixes a write may store.
    ///   - busyTimeout: how long a write waits for the database's write lock while another
    ///     connection holds it — another process's `sipfence policy import`, or a second
    ///     daemon on the same file — before it fails with ``PolicyStoreError/unavailable(_:)``.
    public convenience init(
        path: String, now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger = Logger(label: "sipfence.store"),
        prefixLengthMinimums: PrefixLengthMinimums = .default,
        busyTimeout: Duration = PolicyStore.defaultBusyTimeout
    ) throws {
        // Opening a pool switches the file to WAL, which SQLite refuses at once (no busy
        // wait) while another process does the same; opening and migrating are therefore
        // done under the migration lock, one process at a time.
        let writer = try MigrationLock.withLock(forDatabaseAt: path) {
            let pool = try DatabasePool(path: path, configuration: Self.configuration(busyTimeout: busyTimeout))
            try Self.prepare(pool, logger: logger)
            return pool
        }
        try self.init(backend: SQLiteBackend(writer: writer), now: now, prefixLengthMinimums: prefixLengthMinimums)
    }

    /// How long a write waits for another writer by default: longer than any API write
    /// takes, and than the import of a policy of 100,000 addresses.
    public static let defaultBusyTimeout: Duration = .seconds(10)

    /// An empty store in memory, gone when the last reference goes: for tests and tools.
    public static func inMemory(
        now: @escaping @Sendable () -> Date = { Date() }, prefixLengthMinimums: PrefixLengthMinimums = .default
    ) throws -> PolicyStore {
        let queue = try DatabaseQueue(configuration: configuration(busyTimeout: defaultBusyTimeout))
        try prepare(queue, logger: Logger(label: "sipfence.store"))
        return try PolicyStore(
            backend: SQLiteBackend(writer: queue), now: now, prefixLengthMinimums: prefixLengthMinimums)
    }

    /// Sets the connection up as the store requires and brings the schema up to date.
    private static func prepare(_ writer: any DatabaseWriter, logger: Logger) throws {
        // WAL's usual setting, NORMAL (which GRDB applies when it opens a pool), may lose the
        // last transactions on power loss; FULL syncs the WAL at every commit, so a write
        // that returned is on disk. All writes go through this one connection.
        // Statement journals (each INSERT under the journal's triggers keeps one, a few
        // pages) stay in memory: spilled to a temporary file, an import of a million
        // addresses wrote 20 GB to it.
        try writer.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA cache_size = -65536")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            guard try Int.fetchOne(db, sql: "PRAGMA synchronous") == 2 else {
                throw PolicyStoreError.setupFailed("SQLite did not accept PRAGMA synchronous = FULL")
            }
        }
        try PolicyStoreSchema.migrator(logger: logger).migrate(writer)
    }

    /// Opens the store in the PostgreSQL database `settings` names, bringing its schema up
    /// to date (once, however many nodes start together).
    ///
    /// The store then announces to ``changes()`` subscribers the writes of every node on the
    /// database while ``followCommits()`` runs.
    ///
    /// - Throws: ``PolicyStoreError/unavailable(_:)`` when the server cannot be reached or
    ///   refuses the login, ``PolicyStoreError/setupFailed(_:)`` for unusable TLS settings.
    public static func connect(
        to settings: PostgresStoreSettings, now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger = Logger(label: "sipfence.store"), prefixLengthMinimums: PrefixLengthMinimums = .default
    ) async throws -> PolicyStore {
        let backend = try PostgresBackend(settings: settings, logger: logger)
        try await backend.migrate()
        let generation = try await backend.read(Self.readGeneration)
        return PolicyStore(backend: backend, generation: generation, now: now, prefixLengthMinimums: prefixLengthMinimums)
    }

    private convenience init(
        backend: SQLiteBackend, now: @escaping @Sendable () -> Date, prefixLengthMinimums: PrefixLengthMinimums
    ) throws {
        let generation = try backend.writer.read { db in try Self.readGeneration(SQLiteTransaction(db)) }
        self.init(backend: backend, generation: generation, now: now, prefixLengthMinimums: prefixLengthMinimums)
    }

    private init(
        backend: any StoreBackend, generation: UInt64, now: @escaping @Sendable () -> Date,
        prefixLengthMinimums: PrefixLengthMinimums
    ) {
        self.backend = backend
        self.now = now
        self.broadcaster = PolicyChangeBroadcaster(generation: generation)
        self.minimums = Mutex(prefixLengthMinimums)
    }

    /// The shortest prefixes a write may store (`policy.min_prefix_length_ipv4` and
    /// `…_ipv6`): a shorter one is refused with ``PolicyStoreError/prefixTooShort(_:minimum:)``
    /// by every write path, the API's and policy import's alike. Entries stored before
    /// the minimum was raised stay; ``ipAddresses(shorterThan:)`` finds them.
    public var prefixLengthMinimums: PrefixLengthMinimums {
        get { minimums.withLock { $0 } }
        set { minimums.withLock { $0 = newValue } }
    }

    deinit {
        broadcaster.finish()
    }

    private static func configuration(busyTimeout: Duration) -> Configuration {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.label = "sipfence.policy"
        // Without a timeout, a write while another process writes failed at once (SQLITE_BUSY).
        let (seconds, attoseconds) = busyTimeout.components
        configuration.busyMode = .timeout(TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18)
        return configuration
    }

    // MARK: - Generations and change notifications

    /// The current policy generation: the number of committed changes the store has seen.
    public func generation() async throws -> UInt64 {
        try await read(Self.readGeneration)
    }

    /// A stream of policy generations: first the current one, then each newer one as writes
    /// commit.
    ///
    /// The stream buffers only the newest value, so a slow consumer skips to the latest.
    /// The intended use is to recompile on every element:
    /// ```swift
    /// for await _ in store.changes() {
    ///     current.replace(with: try await store.compilePolicy())
    /// }
    /// ```
    /// The stream ends when the store is released; a consumer that stops iterating ends
    /// its subscription.
    public func changes() -> AsyncStream<UInt64> {
        broadcaster.subscribe()
    }

    /// Announces to ``changes()`` subscribers the writes committed by other nodes on the
    /// same database, until the calling task is cancelled: on PostgreSQL it listens for
    /// their notifications (reconnecting with back-off, and reading the generation each time
    /// it connects, so nothing committed while it was away is missed). On SQLite it returns
    /// at once: another process's commits are found by reading ``generation()``.
    public func followCommits() async {
        let broadcaster = self.broadcaster
        await backend.followCommits { generation in broadcaster.publish(generation) }
    }

    static func readGeneration(_ db: any StoreTransaction) throws -> UInt64 {
        guard let value = try Int64.fetchOne(db, sql: "SELECT value FROM policy_generation WHERE id = 1"), value >= 0
        else {
            throw PolicyStoreError.corruptRecord(table: "policy_generation", sid: "1", reason: "missing or negative")
        }
        return UInt64(value)
    }

    /// Runs `body` in a write transaction. If it changed any row, bumps the generation in
    /// the same transaction and, once committed, announces the new generation.
    @discardableResult
    func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        try await writeReportingGeneration(body).value
    }

    /// ``write(_:)``, also returning the generation the store is at after the transaction.
    ///
    /// With `journaledAsReload` the change journal gets one `reload` row for the write
    /// instead of a row per change (see `PolicyJournal`): for writes of many addresses,
    /// such as importing a large policy, which every reader compiles whole anyway.
    func writeReportingGeneration<T: Sendable>(
        journaledAsReload: Bool = false, _ body: @escaping @Sendable (any StoreTransaction) throws -> T
    ) async throws -> (value: T, generation: UInt64) {
        let (value, generation, changed) = try await backend.write { db -> (T, UInt64, Bool) in
            if journaledAsReload { try PolicyJournal.markReload(db) }
            let changesBefore = db.totalChangesCount
            let value = try body(db)
            guard db.totalChangesCount != changesBefore else {
                if journaledAsReload { try PolicyJournal.unmarkReload(db) }
                return (value, try Self.readGeneration(db), false)
            }
            try db.execute(sql: "UPDATE policy_generation SET value = value + 1 WHERE id = 1")
            let generation = try Self.readGeneration(db)
            try PolicyJournal.seal(db, generation: generation)
            try db.announce(generation: generation)
            return (value, generation, true)
        }
        if changed {
            broadcaster.publish(generation)
        }
        return (value, generation)
    }

    /// Runs `body` in a read transaction: one consistent snapshot of the store.
    func read<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        try await backend.read(body)
    }

    /// The current time, truncated to whole seconds (the resolution of Twilio's dates).
    func timestamp() -> Int64 {
        Int64(now().timeIntervalSince1970.rounded(.down))
    }
}

extension SID {
    /// Throws unless this SID is of `kind`.
    func require(_ kind: Kind) throws(PolicyStoreError) {
        guard self.kind == kind else { throw .wrongKindOfSID(self, expected: kind) }
    }
}
