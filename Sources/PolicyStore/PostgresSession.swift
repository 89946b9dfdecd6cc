import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// One connection to PostgreSQL, lent to one transaction at a time, and made again when it
/// broke: a node that lost the server reconnects on its next use.
///
/// Its methods block the calling thread; the back-end calls them from its own threads only.
final class PostgresSession: Sendable {
    /// The connection, if there is one; held while a transaction uses it.
    private let connection = Mutex<PostgresConnection?>(nil)
    private let configuration: PostgresConnection.Configuration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let id: Int

    init(configuration: PostgresConnection.Configuration, eventLoopGroup: any EventLoopGroup, logger: Logger, id: Int) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.id = id
    }

    /// Runs `body` with the connection, which no one else uses meanwhile; connects first
    /// when there is none. A failure of the connection itself (not an error the server
    /// answered) drops it, so that the next call connects again.
    func withConnection<T: Sendable>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try connection.withLock { connection in
            let current: PostgresConnection
            if let connection, !connection.isClosed {
                current = connection
            } else {
                connection = nil
                current = try PostgresConnection.connect(
                    on: eventLoopGroup.next(), configuration: configuration, id: id, logger: logger
                ).wait()
                connection = current
            }
            do {
                return try body(current)
            } catch {
                if PostgresBackend.breaksConnection(error) || current.isClosed {
                    connection = nil
                    Self.close(current)
                }
                throw error
            }
        }
    }

    /// Closes the connection, without waiting.
    func close() {
        connection.withLock { connection in
            if let connection { Self.close(connection) }
            connection = nil
        }
    }

    /// Closes `connection` and keeps it until it is closed (postgres-nio requires a
    /// connection to be closed before it is released).
    private static func close(_ connection: PostgresConnection) {
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
    }
}
