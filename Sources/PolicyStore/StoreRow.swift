import GRDB

/// One row of a query's result, read by column index.
///
/// A row from ``StoreTransaction/forEachRow(sql:arguments:_:)`` on SQLite is SQLite's own
/// row, valid only during the call that receives it; every other row holds its values.
struct StoreRow {
    private enum Storage {
        case sqlite(Row)
        case values([SQLValue])
    }

    private let storage: Storage

    /// A row holding `values`, in column order.
    init(_ values: [SQLValue]) {
        storage = .values(values)
    }

    /// SQLite's row, read in place.
    init(sqlite row: Row) {
        storage = .sqlite(row)
    }

    /// The number of columns.
    var columnCount: Int {
        switch storage {
        case .values(let values): values.count
        case .sqlite(let row): row.count
        }
    }

    /// The value in column `index`.
    func value(atIndex index: Int) throws(StoreRowError) -> SQLValue {
        switch storage {
        case .values(let values):
            guard values.indices.contains(index) else { throw .noColumn(index, count: values.count) }
            return values[index]
        case .sqlite(let row):
            guard index >= 0, index < row.count else { throw .noColumn(index, count: row.count) }
            let value: DatabaseValue = row[index]
            return SQLValue(value)
        }
    }

    /// The value in column `index` as a `T`.
    ///
    /// - Throws: ``StoreRowError`` when the row has no such column or its value does not fit `T`.
    func decode<T: SQLValueConvertible>(_ type: T.Type = T.self, atIndex index: Int) throws(StoreRowError) -> T {
        let value = try value(atIndex: index)
        guard let decoded = T(sqlValue: value) else {
            throw .unexpectedValue(value, column: index, expected: String(describing: T.self))
        }
        return decoded
    }
}

/// Why a row's value could not be read.
enum StoreRowError: Error, CustomStringConvertible {
    /// The query returned fewer columns than the code reads.
    case noColumn(Int, count: Int)
    /// The stored value does not fit the type the code reads (a hand-edited database).
    case unexpectedValue(SQLValue, column: Int, expected: String)

    var description: String {
        switch self {
        case .noColumn(let index, let count):
            "column \(index) was read from a row of \(count) columns"
        case .unexpectedValue(let value, let column, let expected):
            "column \(column) holds \(value), not a value of type \(expected)"
        }
    }
}

extension SQLValue {
    /// SQLite's value as the store reads it (a real, which the schema never stores, as
    /// text).
    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let integer): self = .integer(integer)
        case .double(let real): self = .text(String(real))
        case .string(let text): self = .text(text)
        case .blob(let bytes): self = .blob(bytes)
        }
    }

    /// The value as GRDB binds it.
    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let integer): integer.databaseValue
        case .text(let text): text.databaseValue
        case .blob(let bytes): bytes.databaseValue
        }
    }
}
