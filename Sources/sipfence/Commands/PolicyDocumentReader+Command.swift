import ArgumentParser
import Foundation
import PolicyStore

extension PolicyDocumentReader {
    /// The policy document in `file` for a command (`policy import`, `replay --policy`),
    /// read as it streams in, with its progress on `progress`.
    ///
    /// - Throws: `ExitCode(2)`, after saying why on standard error, when the file cannot be
    ///   read or is not a policy document.
    static func document(forCommand file: String, progress: TerminalProgress? = nil) throws -> PolicyDocument {
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        let report: ((Int) -> Void)? = progress.flatMap { progress in
            guard progress.isShown, size > 0 else { return nil }
            return { read in
                progress.show(
                    "reading \(file): \(TerminalProgress.megabytes(read)) of \(TerminalProgress.megabytes(size))")
            }
        }
        do {
            return try read(contentsOf: file, progress: report)
        } catch .cannotOpen(_, let reason) {
            progress?.clear()
            FileHandleOutput.standardError("sipfence: cannot read \(file): \(reason)\n")
            throw ExitCode(2)
        } catch {
            progress?.clear()
            FileHandleOutput.standardError("sipfence: \(file) is not a policy document: \(error)\n")
            throw ExitCode(2)
        }
    }
}
