/// One thing wrong with a configuration: which key, and why.
struct ConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The key in dotted form (`sip.listen[1]`), or the file for problems with the file itself.
    var key: String
    /// What is wrong, as a sentence for the operator.
    var reason: String

    var description: String { "\(key): \(reason)" }
}

/// Every problem found in a configuration; loading reports them all at once.
struct ConfigurationErrors: Error, Sendable, CustomStringConvertible {
    var errors: [ConfigurationError]

    var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}
