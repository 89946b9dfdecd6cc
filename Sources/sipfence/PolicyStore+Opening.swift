import AccessControl
import Admission
import Foundation
import Logging
import PolicyStore

extension PolicyStore {
    /// Opens the store at `path` as every command does: its directory is created if
    /// needed (a first start on a fresh machine), then the file is opened or created.
    /// Writes are held to `prefixLengthMinimums`.
    static func open(at path: String, prefixLengthMinimums: PrefixLengthMinimums) throws -> PolicyStore {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return try PolicyStore(path: path, prefixLengthMinimums: prefixLengthMinimums)
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
