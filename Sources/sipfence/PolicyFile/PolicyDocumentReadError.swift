/// Why a policy file could not be read as a ``PolicyDocument``: each case says where
/// (line and column, and the document path such as
/// `accounts[0].ip_access_control_lists[2].ip_addresses[17].ip_address`) and what was wrong.
enum PolicyDocumentReadError: Error, Hashable, CustomStringConvertible {
    /// The file cannot be opened.
    case cannotOpen(String, reason: String)
    /// The text is not YAML (libyaml's problem).
    case syntax(YAMLEvent.Mark, problem: String)
    /// The file holds no YAML document, or more than one.
    case documentCount(found: String)
    /// A node is not of the kind its key needs.
    case unexpected(path: String, YAMLEvent.Mark, expected: String, found: String)
    /// A mapping lacks a key it must have.
    case missingKey(path: String, YAMLEvent.Mark, key: String)
    /// A mapping has the same key twice.
    case duplicateKey(path: String, YAMLEvent.Mark, key: String)
    /// A scalar does not hold what its key needs (a boolean, a whole number).
    case invalidValue(path: String, YAMLEvent.Mark, reason: String)
    /// An alias (`*name`): policy files are written out in full.
    case alias(path: String, YAMLEvent.Mark)

    var description: String {
        switch self {
        case .cannotOpen(let file, let reason):
            "cannot open \(file): \(reason)"
        case .syntax(let mark, let problem):
            "\(mark): not YAML: \(problem)"
        case .documentCount(let found):
            "a policy file holds one YAML document; this one holds \(found)"
        case .unexpected(let path, let mark, let expected, let found):
            "\(mark) (\(Self.show(path))): expected \(expected), found \(found)"
        case .missingKey(let path, let mark, let key):
            "\(mark) (\(Self.show(path))): the key \(key) is missing"
        case .duplicateKey(let path, let mark, let key):
            "\(mark) (\(Self.show(path))): the key \(key) appears twice"
        case .invalidValue(let path, let mark, let reason):
            "\(mark) (\(Self.show(path))): \(reason)"
        case .alias(let path, let mark):
            "\(mark) (\(Self.show(path))): aliases (*name) are not supported in policy files; write the value out"
        }
    }

    private static func show(_ path: String) -> String {
        path.isEmpty ? "the document" : path
    }
}
