#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing, reading and removing scratch files for tests that read captures by path.
enum TestFiles {
    struct WriteError: Error, CustomStringConvertible {
        let path: String
        var description: String { "cannot write or read \(path)" }
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        guard let file = fopen(path, "wb") else { throw WriteError(path: path) }
        defer { fclose(file) }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        guard written == bytes.count else { throw WriteError(path: path) }
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let file = fopen(path, "rb") else { throw WriteError(path: path) }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            guard count > 0 else { return bytes }
            bytes += chunk[..<count]
        }
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
