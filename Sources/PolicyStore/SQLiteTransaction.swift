import GRDB

/// A transaction of the SQLite back-end: GRDB's connection, inside `read` or `write`.
final class SQLiteTransaction: StoreTransaction {
    private let db: Database

    /// The transaction `db` is in.
    init(_ db: Database) {
        self.db = db
    }

    var dialect: SQLDialect { .sqlite }

    var changesCount: Int { db.changesCount }

    var totalChangesCount: Int { db.totalChangesCount }

    @discardableResult
    func execute(sql: String, arguments: StoreArguments) throws -> Int {
        // Statements are compiled once per connection and kept: a large import runs the
        // same INSERT a million times.
        let statement = try db.cachedStatement(sql: sql)
        try statement.execute(arguments: Self.bindings(arguments))
        return db.changesCount
    }

    func announce(generation: UInt64) throws {}

    @discardableResult
    func execute(sql: String) throws -> Int {
        try db.execute(sql: sql)
        return db.changesCount
    }

    func fetchAll(sql: String, arguments: StoreArguments) throws -> [StoreRow] {
        var rows: [StoreRow] = []
        try forEachRow(sql: sql, arguments: arguments) { row in
            rows.append(StoreRow(try (0..<row.columnCount).map { try row.value(atIndex: $0) }))
        }
        return rows
    }

    func forEachRow(sql: String, arguments: StoreArguments, _ body: (StoreRow) throws -> Void) throws {
        let statement = try db.cachedStatement(sql: sql)
        let rows = try Row.fetchCursor(statement, arguments: Self.bindings(arguments))
        while let row = try rows.next() {
            try body(StoreRow(sqlite: row))
        }
    }

    private static func bindings(_ arguments: StoreArguments) -> StatementArguments {
        StatementArguments(arguments.values.map(\.databaseValue))
    }
}
