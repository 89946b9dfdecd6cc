import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// The shared back-end: a PostgreSQL database that a fleet of nodes keeps its policy in.
///
/// - Transactions: reads run in `REPEATABLE READ READ ONLY` transactions (one snapshot);
///   writes take an advisory lock first (``PostgresSchema/writeLockKey``), so that writes
///   from every node are serialised as SQLite serialises them, and each commits its
///   generation bump with a `NOTIFY` on ``channel``.
/// - Connections: one for reads and one for writes, each made on first use and made again
///   after it broke; a third, in ``followCommits(_:)``, listens for other nodes' commits.
/// - Threads: the store's SQL is synchronous, so each connection's transactions run on a
///   thread of its own, which waits for the server's answers (a read never waits for a
///   write's thread); event loops never wait.
/// - Time limits: the server ends a statement after ``statementTimeout`` and a wait for a
///   lock after ``lockTimeout`` (a write behind another node's long import: 503, as SQLite's
///   busy timeout), and rolls back a transaction left idle (its client gone) after a
///   minute; a statement whose answer does not come within ``answerDeadline`` (a silent
///   network) closes its connection, so that callers get ``PolicyStoreError/unavailable(_:)``
///   instead of waiting for TCP to give up.
final class PostgresBackend: StoreBackend {
    /// The channel every committed write notifies with its generation.
    static let channel = "sipfence_policy"

    /// The longest one statement may run on the server.
    static let statementTimeout: Duration = .seconds(30)

    /// The longest a write waits for another node's write to finish (as SQLite's busy timeout).
    static let lockTimeout: Duration = PolicyStore.defaultBusyTimeout

    /// How long a node waits for the server's answer to a statement before it gives the
    /// connection up: a little more than the server's own limit.
    static let answerDeadline: Duration = statementTimeout + .seconds(5)

    private let settings: PostgresStoreSettings
    private let configuration: PostgresConnection.Configuration
    private let eventLoopGroup: any EventLoopGroup
    private let readerThread: NIOThreadPool
    private let writerThread: NIOThreadPool
    private let reader: PostgresSession
    private let writer: PostgresSession
    private let logger: Logger

    /// A back-end for `settings`; connects on first use.
    ///
    /// - Throws: ``PolicyStoreError/setupFailed(_:)`` when the TLS settings cannot be used
    ///   (an unreadable CA file).
    init(settings: PostgresStoreSettings, logger: Logger) throws {
        self.settings = settings
        self.configuration = try Self.configuration(settings)
        self.eventLoopGroup = MultiThreadedEventLoopGroup.singleton
        self.logger = logger
        readerThread = NIOThreadPool(numberOfThreads: 1)
        writerThread = NIOThreadPool(numberOfThreads: 1)
        readerThread.start()
        writerThread.start()
        reader = PostgresSession(configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger, id: 1)
        writer = PostgresSession(configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger, id: 2)
    }

    deinit {
        reader.close()
        writer.close()
        readerThread.shutdownGracefully { _ in }
        writerThread.shutdownGracefully { _ in }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        let logger = self.logger
        return try await run(on: reader, thread: readerThread) { connection in
            try Self.transaction(
                on: connection, beginning: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger, body)
        }
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        let logger = self.logger
        return try await run(on: writer, thread: writerThread) { connection in
            try Self.transaction(on: connection, beginning: "BEGIN ISOLATION LEVEL READ COMMITTED", logger: logger) { db in
                try db.execute(sql: "SELECT pg_advisory_xact_lock(?)", arguments: [PostgresSchema.writeLockKey])
                return try body(db)
            }
        }
    }

    /// Brings the database's schema up to date, once however many nodes start together.
    func migrate() async throws {
        let logger = self.logger
        try await write { db in
            try db.execute(sql: "SELECT pg_advisory_xact_lock(?)", arguments: [PostgresSchema.migrationLockKey])
            try db.execute(sql: PostgresSchema.migrationsTable)
            let applied = Set(try String.fetchAll(db, sql: "SELECT identifier FROM sipfence_migrations"))
            for migration in PostgresSchema.migrations where !applied.contains(migration.identifier) {
                for statement in migration.statements {
                    try db.execute(sql: statement)
                }
                try db.execute(
                    sql: "INSERT INTO sipfence_migrations (identifier) VALUES (?)", arguments: [migration.identifier])
                logger.notice("applied a schema migration", metadata: ["migration": "\(migration.identifier)"])
            }
        }
    }

    /// Listens on ``channel`` and calls `publish` with each generation another node (or this
    /// one) commits, and with the store's generation each time listening starts, so that
    /// commits made while the connection was down are not missed. Reconnects with back-off
    /// (0.1 s doubling to 5 s) until the calling task is cancelled.
    func followCommits(_ publish: @escaping @Sendable (UInt64) -> Void) async {
        var backoff = Duration.milliseconds(100)
        var connected = true
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(
                    on: eventLoopGroup.next(), configuration: configuration, id: 3, logger: logger
                ).get()
                do {
                    try await connection.listen(on: Self.channel) { notifications in
                        let rows = try await connection.query(
                            "SELECT value FROM policy_generation WHERE id = 1", logger: logger)
                        for try await value in rows.decode(Int64.self) where value >= 0 {
                            publish(UInt64(value))
                        }
                        if !connected {
                            logger.notice("listening for policy changes again", metadata: ["store": "\(settings)"])
                        }
                        connected = true
                        backoff = .milliseconds(100)
                        for try await notification in notifications {
                            if let generation = UInt64(notification.payload) { publish(generation) }
                        }
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch {
                if connected, !Task.isCancelled {
                    logger.warning(
                        "lost the policy change notifications; reconnecting",
                        metadata: ["store": "\(settings)", "error": "\(Self.classify(error))"])
                }
                connected = false
            }
            do { try await Task.sleep(for: backoff) } catch { return }
            backoff = min(backoff * 2, .seconds(5))
        }
    }

    /// Runs `body` on `thread` with `session`'s connection.
    private func run<T: Sendable>(
        on session: PostgresSession, thread: NIOThreadPool, _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        do {
            return try await thread.runIfActive { try session.withConnection(body) }
        } catch {
            throw Self.classify(error)
        }
    }

    /// Runs `body` between `begin` and `COMMIT` on `connection`; rolls back when it throws.
    private static func transaction<T>(
        on connection: PostgresConnection, beginning begin: String, logger: Logger,
        _ body: (any StoreTransaction) throws -> T
    ) throws -> T {
        let transaction = PostgresTransaction(connection, logger: logger)
        try transaction.execute(sql: begin)
        do {
            let value = try body(transaction)
            try transaction.commit()
            return value
        } catch {
            if !breaksConnection(error) { _ = try? transaction.execute(sql: "ROLLBACK") }
            throw error
        }
    }

    /// Whether `error` means the connection can no longer be used (as opposed to an
    /// error the server answered, after which the connection still works).
    static func breaksConnection(_ error: any Error) -> Bool {
        if let error = error as? PSQLError {
            guard error.code == .server else { return true }
            // The server ended the session (an administrator's shutdown, a failover).
            let state = error.serverInfo?[.sqlState] ?? ""
            return state.hasPrefix("08") || state.hasPrefix("57P")
        }
        return error is IOError || error is ChannelError || error is NIOConnectionError
            || error is PostgresTransaction.NoAnswer
    }

    /// `error` as ``PolicyStoreError/unavailable(_:)`` when it means the database cannot be
    /// used now (unreachable, shutting down, out of resources, refusing the login), as
    /// ``PolicyStoreError/constraintViolation(_:)`` when a constraint refused a write
    /// (SQLSTATE class 23), as ``PostgresServerError`` for any other error the server
    /// answered; errors not from the database (a document's, a record check's) unchanged.
    static func classify(_ error: any Error) -> any Error {
        if error is IOError || error is ChannelError || error is NIOConnectionError || error is PostgresTransaction.NoAnswer {
            return PolicyStoreError.unavailable("cannot reach PostgreSQL: \(error)")
        }
        guard let error = error as? PSQLError else { return error }
        guard error.code == .server else {
            let cause = error.underlying.map { ": \($0)" } ?? ""
            return PolicyStoreError.unavailable("the PostgreSQL connection failed (\(error.code)\(cause))")
        }
        let state = error.serverInfo?[.sqlState] ?? ""
        let message = error.serverInfo?[.message] ?? "\(error.code)"
        switch state.prefix(2) {
        case "23":
            return PolicyStoreError.constraintViolation(message)
        case "08", "28", "40", "53", "55", "57", "58", "3D":
            // Connection exceptions, a refused login, a serialisation failure or deadlock, insufficient
            // resources, a lock not granted within lock_timeout, a statement cancelled (statement_timeout)
            // or the server shutting down, system errors, a missing database.
            return PolicyStoreError.unavailable("PostgreSQL: \(message) (SQLSTATE \(state))")
        case "25" where state == "25006":
            // A read-only transaction: the server is a standby (a failover in progress).
            return PolicyStoreError.unavailable("PostgreSQL: \(message) (SQLSTATE \(state))")
        default:
            return PostgresServerError(error)
        }
    }

    /// postgres-nio's configuration for `settings`.
    private static func configuration(_ settings: PostgresStoreSettings) throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch settings.tlsMode {
        case .disable:
            tls = .disable
        case .require, .verifyFull:
            var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
            if settings.tlsMode == .require {
                tlsConfiguration.certificateVerification = .none
            } else {
                tlsConfiguration.certificateVerification = .fullVerification
                if let file = settings.tlsCAFile { tlsConfiguration.trustRoots = .file(file) }
            }
            do {
                tls = .require(try NIOSSLContext(configuration: tlsConfiguration))
            } catch {
                throw PolicyStoreError.setupFailed("the TLS settings for PostgreSQL cannot be used: \(error)")
            }
        }
        var configuration = PostgresConnection.Configuration(
            host: settings.host, port: settings.port, username: settings.username, password: settings.password,
            database: settings.database, tls: tls)
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.additionalStartupParameters = [
            ("statement_timeout", "\(statementTimeout.components.seconds)s"),
            ("lock_timeout", "\(lockTimeout.components.seconds)s"),
            ("idle_in_transaction_session_timeout", "60s"),
            ("application_name", "sipfence"),
        ]
        return configuration
    }
}
