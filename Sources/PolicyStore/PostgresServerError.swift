import PostgresNIO

/// An error PostgreSQL answered that the store does not translate (a bug in a statement,
/// a permission the role lacks), with what the server said: postgres-nio's own error
/// describes itself only generically, to keep data out of logs, which left operators with
/// nothing to go on.
struct PostgresServerError: Error, CustomStringConvertible {
    /// The SQLSTATE code (`42P01`: undefined table, `42501`: insufficient privilege, …).
    var sqlState: String
    /// The server's message.
    var message: String
    /// The server's detail line, if any.
    var detail: String?

    init(sqlState: String, message: String, detail: String? = nil) {
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
    }

    init(_ error: PSQLError) {
        sqlState = error.serverInfo?[.sqlState] ?? "?????"
        message = error.serverInfo?[.message] ?? "\(error.code)"
        detail = error.serverInfo?[.detail]
    }

    var description: String {
        "PostgreSQL refused a statement: \(message) (SQLSTATE \(sqlState))" + (detail.map { "; \($0)" } ?? "")
    }
}
