import AccessControl
import Admission
import Foundation
import Logging
import PolicyStore

extension PolicyStore {
    /// Opens the store at `location` as every command does. A SQLite file's directory is
    /// created if needed (a first start on a fresh machine), then the file is opened or
    /// created; a PostgreSQL database is connected to and its schema brought up to date.
    /// Writes are held to `prefixLengthMinimums`.
    static func open(
        _ location: StoreLocation, prefixLengthMinimums: PrefixLengthMinimums, logger: Logger
    ) async throws -> PolicyStore {
        switch location {
        case .sqlite(let path):
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            return try PolicyStore(path: path, logger: logger, prefixLengthMinimums: prefixLengthMinimums)
        case .postgres(let settings):
            return try await PolicyStore.connect(to: settings, logger: logger, prefixLengthMinimums: prefixLengthMinimums)
        }
    }
}

extension PolicyStore {
    /// Logs, at warning level, every stored entry shorter than the configured minimums:
    /// entries written before a minimum was raised keep working, so an operator should
    /// know they are there.
    func reportEntriesShorterThanMinimums(logger: Logger) async throws {
        let minimums = prefixLengthMinimums
        for entry in try await ipAddresses(shorterThan: minimums) {
            logger.warning(
                "a stored IP address entry is shorter than policy.min_prefix_length allows",
                metadata: [
                    "sid": "\(entry.sid)", "account_sid": "\(entry.accountSID)",
                    "ip_access_control_list_sid": "\(entry.listSID)", "prefix": "\(entry.prefix)",
                    "friendly_name": "\(entry.friendlyName)", "minimums": "\(minimums)",
                ])
        }
    }
}

extension PolicyStore {
    /// The keys sipfence signs with: those of `sip.secret` when it is `configured`, else
    /// those of the secret kept in this store (generated at the first start), which every
    /// node sharing the store uses and which survives restarts.
    func signingKeyring(configured: SIPKeyring?) async throws -> SIPKeyring {
        if let configured { return configured }
        return try SIPKeyring(secret: try await sipSecret(storingIfAbsent: SIPKeyring.randomSecret()))
    }
}
