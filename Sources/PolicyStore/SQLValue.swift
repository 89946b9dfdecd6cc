import Foundation

/// A value as the store binds it to a statement or reads it from a row: the storage
/// classes that SQLite and PostgreSQL both have and the schema uses.
///
/// Booleans are stored as the integers 0 and 1 on both back-ends (a PostgreSQL `boolean`
/// read back, such as the result of `EXISTS`, arrives as one of those).
enum SQLValue: Sendable, Hashable {
    /// SQL `NULL`.
    case null
    /// A 64-bit signed integer (SQLite `INTEGER`, PostgreSQL `bigint`, `integer`, `smallint`, `boolean`).
    case integer(Int64)
    /// UTF-8 text (`TEXT`).
    case text(String)
    /// Bytes (SQLite `BLOB`, PostgreSQL `bytea`).
    case blob(Data)
}

extension SQLValue: CustomStringConvertible {
    var description: String {
        switch self {
        case .null: "NULL"
        case .integer(let value): "integer \(value)"
        case .text(let value): "text \(String(reflecting: value))"
        case .blob(let value): "blob of \(value.count) bytes"
        }
    }
}

/// A Swift type the store binds to statements and reads back from rows.
protocol SQLValueConvertible: Sendable {
    /// The value as bound to a statement.
    var sqlValue: SQLValue { get }
    /// The value read from a row, or `nil` when the stored value does not fit the type
    /// (text where an integer is expected, an integer out of range, …).
    init?(sqlValue: SQLValue)
}

extension String: SQLValueConvertible {
    var sqlValue: SQLValue { .text(self) }

    init?(sqlValue: SQLValue) {
        guard case .text(let value) = sqlValue else { return nil }
        self = value
    }
}

extension Int64: SQLValueConvertible {
    var sqlValue: SQLValue { .integer(self) }

    init?(sqlValue: SQLValue) {
        guard case .integer(let value) = sqlValue else { return nil }
        self = value
    }
}

extension Int: SQLValueConvertible {
    var sqlValue: SQLValue { .integer(Int64(self)) }

    init?(sqlValue: SQLValue) {
        guard case .integer(let value) = sqlValue, let value = Int(exactly: value) else { return nil }
        self = value
    }
}

extension Bool: SQLValueConvertible {
    var sqlValue: SQLValue { .integer(self ? 1 : 0) }

    init?(sqlValue: SQLValue) {
        guard case .integer(let value) = sqlValue else { return nil }
        self = value != 0
    }
}

extension Data: SQLValueConvertible {
    var sqlValue: SQLValue { .blob(self) }

    init?(sqlValue: SQLValue) {
        guard case .blob(let value) = sqlValue else { return nil }
        self = value
    }
}

extension Optional: SQLValueConvertible where Wrapped: SQLValueConvertible {
    var sqlValue: SQLValue { self?.sqlValue ?? .null }

    init?(sqlValue: SQLValue) {
        if case .null = sqlValue {
            self = .none
            return
        }
        guard let value = Wrapped(sqlValue: sqlValue) else { return nil }
        self = .some(value)
    }
}

/// The values bound to a statement's parameters, in order (`?` in the store's SQL).
struct StoreArguments: Sendable, ExpressibleByArrayLiteral {
    /// The values, one per parameter.
    var values: [SQLValue]

    init(_ values: [SQLValue]) {
        self.values = values
    }

    init(arrayLiteral elements: (any SQLValueConvertible)?...) {
        values = elements.map { $0?.sqlValue ?? .null }
    }

    static func + (lhs: StoreArguments, rhs: StoreArguments) -> StoreArguments {
        StoreArguments(lhs.values + rhs.values)
    }
}
