import PolicyStore

/// Where the daemon and the `policy` and `replay` commands keep the policy: `store.path`
/// (SQLite, the embedded default) or `store.url` (PostgreSQL, shared by a fleet), which
/// wins when both are set, so that `SIPFENCE_STORE_URL` moves a node whose file names a
/// path onto the shared database.
enum StoreLocation: Equatable, CustomStringConvertible {
    /// A SQLite file.
    case sqlite(path: String)
    /// A PostgreSQL database.
    case postgres(PostgresStoreSettings)

    /// The location for logs, never with a password.
    var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let settings): settings.description
        }
    }
}
