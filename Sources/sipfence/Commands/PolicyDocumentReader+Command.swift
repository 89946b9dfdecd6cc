import ArgumentParser
import PolicyStore

extension PolicyDocumentReader {
    /// The policy document in `file` for a command (`policy import`, `replay --policy`),
    /// read as it streams in.
    ///
    /// - Throws: `ExitCode(2)`, after saying why on standard error, when the file cannot be
    ///   read or is not a policy document.
    static func document(forCommand file: String) throws -> PolicyDocument {
        do {
            return try read(contentsOf: file)
        } catch .cannotOpen(_, let reason) {
            FileHandleOutput.standardError("sipfence: cannot read \(file): \(reason)\n")
            throw ExitCode(2)
        } catch {
            FileHandleOutput.standardError("sipfence: \(file) is not a policy document: \(error)\n")
            throw ExitCode(2)
        }
    }
}
