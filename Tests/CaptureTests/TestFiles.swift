#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing and removing scratch files for tests that read captures by path.
enum TestFiles {
    struct WriteError: Error, CustomStringConvertible {
        let path: String
        var description: String { "cannot write \(path)" }
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        guard let file = fopen(path, "wb") else { throw WriteError(path: path) }
        defer { fclose(file) }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        guard written == bytes.count else { throw WriteError(path: path) }
    }

    static func remove(_ path: String) {
        unlink(path)
    }

    /// The directory of this test target's sources, where the committed captures live.
    static func capturesDirectory(file: String = #filePath) -> String {
        let directory = file.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        return directory + "/Captures"
    }
}
