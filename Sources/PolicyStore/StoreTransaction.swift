/// The dialect of SQL a back-end speaks, for the few statements the two write differently.
enum SQLDialect: Sendable {
    case sqlite
    case postgres

    /// An aggregate joining the distinct non-null values of `column` with commas.
    func distinctList(_ column: String) -> String {
        switch self {
        case .sqlite: "group_concat(DISTINCT \(column))"
        case .postgres: "string_agg(DISTINCT \(column), ',')"
        }
    }

    /// The larger of two values (SQLite's two-argument `max`, PostgreSQL's `greatest`).
    func greater(_ lhs: String, _ rhs: String) -> String {
        switch self {
        case .sqlite: "max(\(lhs), \(rhs))"
        case .postgres: "greatest(\(lhs), \(rhs))"
        }
    }

    /// A condition that `column` equals the next parameter, ignoring ASCII case, in a form
    /// the index on domain names serves (SQLite's index is `COLLATE NOCASE`, PostgreSQL's is
    /// on `lower(domain_name)`).
    func equalsIgnoringCase(_ column: String) -> String {
        switch self {
        case .sqlite: "\(column) = ? COLLATE NOCASE"
        case .postgres: "lower(\(column)) = lower(?)"
        }
    }

    /// The column that orders the change journal's rows in the order they were written.
    var journalOrder: String {
        switch self {
        case .sqlite: "rowid"
        case .postgres: "id"
        }
    }
}

/// One open transaction of the store's database, through which every store operation
/// reads and writes: SQLite's (GRDB) or PostgreSQL's.
///
/// The store's SQL is written once, with `?` for each parameter; a back-end whose server
/// numbers its parameters (`$1`) translates. A transaction is used by one thread at a time,
/// inside the closure the store's `read` or `write` gives it to, and never kept beyond it.
protocol StoreTransaction: AnyObject {
    /// The SQL dialect of the back-end.
    var dialect: SQLDialect { get }

    /// Runs one statement and returns the number of rows it inserted, updated or deleted
    /// (not counting rows changed by triggers or cascades).
    @discardableResult
    func execute(sql: String, arguments: StoreArguments) throws -> Int

    /// Runs SQL without parameters, which may be several statements or change the schema;
    /// returns the rows the last statement changed.
    @discardableResult
    func execute(sql: String) throws -> Int

    /// Every row of a query's result.
    func fetchAll(sql: String, arguments: StoreArguments) throws -> [StoreRow]

    /// Calls `body` with each row of a query's result in turn, without keeping them: for
    /// results too large to hold (the addresses of a million-entry policy).
    func forEachRow(sql: String, arguments: StoreArguments, _ body: (StoreRow) throws -> Void) throws

    /// Tells every node that listens that the transaction commits at `generation` (sent
    /// when it commits, dropped when it rolls back). SQLite has no such channel: nothing.
    func announce(generation: UInt64) throws

    /// The rows changed by the last ``execute(sql:arguments:)``.
    var changesCount: Int { get }

    /// The rows changed since the transaction began, triggers included: a write that
    /// leaves this unchanged changed nothing.
    var totalChangesCount: Int { get }
}

extension StoreRow {
    /// Every row of a query's result.
    static func fetchAll(_ db: any StoreTransaction, sql: String, arguments: StoreArguments = []) throws -> [StoreRow] {
        try db.fetchAll(sql: sql, arguments: arguments)
    }

    /// The first row of a query's result, if any.
    static func fetchOne(_ db: any StoreTransaction, sql: String, arguments: StoreArguments = []) throws -> StoreRow? {
        try db.fetchAll(sql: sql, arguments: arguments).first
    }

    /// Calls `body` with each row of a query's result in turn (see
    /// ``StoreTransaction/forEachRow(sql:arguments:_:)``).
    static func forEach(
        _ db: any StoreTransaction, sql: String, arguments: StoreArguments = [], _ body: (StoreRow) throws -> Void
    ) throws {
        try db.forEachRow(sql: sql, arguments: arguments, body)
    }
}

extension SQLValueConvertible {
    /// The first column of every row of a query's result.
    static func fetchAll(_ db: any StoreTransaction, sql: String, arguments: StoreArguments = []) throws -> [Self] {
        try db.fetchAll(sql: sql, arguments: arguments).map { try $0.decode(Self.self, atIndex: 0) }
    }

    /// The first column of the first row of a query's result; `nil` when there is no row
    /// or the value is NULL.
    static func fetchOne(_ db: any StoreTransaction, sql: String, arguments: StoreArguments = []) throws -> Self? {
        guard let row = try db.fetchAll(sql: sql, arguments: arguments).first else { return nil }
        return try row.decode(Self?.self, atIndex: 0)
    }
}
