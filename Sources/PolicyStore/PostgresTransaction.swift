import Foundation
import Logging
import NIOCore
import PostgresNIO

/// A transaction of the PostgreSQL back-end: one connection, between the back-end's
/// `BEGIN` and `COMMIT`, used from one of the back-end's own threads.
///
/// Each statement waits for the server's answer on the calling thread (never an event
/// loop's), so that the store's SQL, which is synchronous, runs unchanged on both
/// back-ends. Parameters written `?` are numbered (`$1`, `$2`, …) for PostgreSQL.
final class PostgresTransaction: StoreTransaction {
    private let connection: PostgresConnection
    private let logger: Logger
    private(set) var changesCount = 0
    private(set) var totalChangesCount = 0
    /// Cursors opened so far, for their names.
    private var cursors = 0

    /// A transaction on `connection`, which the caller has begun.
    init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    var dialect: SQLDialect { .postgres }

    @discardableResult
    func execute(sql: String, arguments: StoreArguments) throws -> Int {
        let result = try query(sql, arguments)
        // Rows a SELECT returned are not rows changed.
        let changed =
            switch result.metadata.command {
            case "INSERT", "UPDATE", "DELETE", "MERGE": result.metadata.rows ?? 0
            default: 0
            }
        changesCount = changed
        totalChangesCount += changed
        return changed
    }

    @discardableResult
    func execute(sql: String) throws -> Int {
        try execute(sql: sql, arguments: [])
    }

    func announce(generation: UInt64) throws {
        try execute(sql: "SELECT pg_notify(?, ?)", arguments: [PostgresBackend.channel, String(generation)])
    }

    func fetchAll(sql: String, arguments: StoreArguments) throws -> [StoreRow] {
        try query(sql, arguments).rows.map { row in StoreRow(try row.map(Self.value)) }
    }

    func forEachRow(sql: String, arguments: StoreArguments, _ body: (StoreRow) throws -> Void) throws {
        // postgres-nio hands over each result whole: the rows go through a cursor,
        // ``cursorBatch`` at a time, so that a million addresses are never held at once
        // (holding them took a node's memory to 480 MiB).
        cursors += 1
        let cursor = "sipfence_rows_\(cursors)"
        try execute(sql: "DECLARE \(cursor) NO SCROLL CURSOR FOR \(sql)", arguments: arguments)
        while true {
            let rows = try query("FETCH FORWARD \(Self.cursorBatch) FROM \(cursor)", []).rows
            for row in rows {
                try body(StoreRow(try row.map(Self.value)))
            }
            if rows.count < Self.cursorBatch { break }
        }
        try execute(sql: "CLOSE \(cursor)")
    }

    /// Rows fetched at a time by ``forEachRow(sql:arguments:_:)``.
    static let cursorBatch = 10_000

    /// Runs `sql` with `arguments` and waits for its whole result.
    private func query(_ sql: String, _ arguments: StoreArguments) throws -> PostgresQueryResult {
        var binds = PostgresBindings(capacity: arguments.values.count)
        for value in arguments.values {
            switch value {
            case .null: binds.appendNull()
            case .integer(let integer): binds.append(integer)
            case .text(let text): binds.append(text)
            case .blob(let bytes): binds.append(ByteBuffer(bytes: bytes))
            }
        }
        let text = arguments.values.isEmpty ? sql : Self.numberingParameters(sql)
        // No answer in time (a silent network): the connection is closed, which fails the
        // query, and the session connects again on its next use.
        let connection = self.connection
        let deadline = connection.eventLoop.scheduleTask(in: .nanoseconds(Self.answerDeadlineNanoseconds)) {
            connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
        }
        defer { deadline.cancel() }
        do {
            return try connection.query(PostgresQuery(unsafeSQL: text, binds: binds), logger: logger).wait()
        } catch {
            if connection.isClosed { throw NoAnswer(sql: sql) }
            throw error
        }
    }

    private static let answerDeadlineNanoseconds: Int64 = {
        let (seconds, attoseconds) = PostgresBackend.answerDeadline.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }()

    /// Commits the transaction.
    ///
    /// - Throws: ``PostgresServerError`` when the server rolled it back instead (it answers
    ///   `COMMIT` in a failed transaction with `ROLLBACK`, and no error).
    func commit() throws {
        let result = try query("COMMIT", [])
        guard result.metadata.command == "COMMIT" else {
            throw PostgresServerError(
                sqlState: "25P02", message: "the transaction was rolled back (\(result.metadata.command)), not committed")
        }
    }

    /// The server did not answer a statement within ``PostgresBackend/answerDeadline``, or
    /// the connection closed while it waited.
    struct NoAnswer: Error, CustomStringConvertible {
        var sql: String

        var description: String {
            "no answer from PostgreSQL within \(PostgresBackend.answerDeadline) (connection closed) to \(sql.prefix(60))"
        }
    }

    /// `sql` with each `?` outside a quoted literal replaced by `$1`, `$2`, … in order.
    static func numberingParameters(_ sql: String) -> String {
        var numbered = ""
        numbered.reserveCapacity(sql.utf8.count + 16)
        var index = 0
        var quoted = false
        for character in sql {
            if character == "'" { quoted.toggle() }
            if character == "?" && !quoted {
                index += 1
                numbered += "$\(index)"
            } else {
                numbered.append(character)
            }
        }
        return numbered
    }

    /// A cell's value in the store's terms.
    ///
    /// - Throws: ``StoreRowError/unexpectedValue(_:column:expected:)`` for a type the
    ///   schema does not use.
    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .text, .varchar, .name, .bpchar: return .text(try cell.decode(String.self))
        case .bytea: return .blob(try cell.decode(Data.self))
        default:
            throw StoreRowError.unexpectedValue(
                .text("PostgreSQL type \(cell.dataType)"), column: cell.columnIndex, expected: "a type the schema uses")
        }
    }
}
