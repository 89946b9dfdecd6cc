import Foundation
import PolicyStore

extension PolicyStore {
    /// Opens the store at `path` as every command does: its directory is created if
    /// needed (a first start on a fresh machine), then the file is opened or created.
    static func open(at path: String) throws -> PolicyStore {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return try PolicyStore(path: path)
    }
}
