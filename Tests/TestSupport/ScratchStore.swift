import Foundation

/// A policy store file of a test's own, in a fresh temporary directory that is removed
/// afterwards: for tests that need a file store (another connection to it, a file to
/// break) rather than one in memory.
public enum ScratchStore {
    /// Runs `body` with the path of a store file that does not exist yet.
    public static func withPath<T>(_ body: (String) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sipfence-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body(directory.appendingPathComponent("policy.sqlite").path)
    }
}
