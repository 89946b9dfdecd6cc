/// One event of a YAML stream as libyaml reports it (YAML 1.1 §3.1.2, "serialization
/// events"): what the policy file reader walks instead of a tree of the whole document.
struct YAMLEvent {
    /// Where an event starts in the file, counted from 1 as editors count.
    struct Mark: Hashable, Sendable, CustomStringConvertible {
        var line: Int
        var column: Int

        var description: String { "line \(line), column \(column)" }
    }

    /// A scalar's text and how it was written, which decides what it may mean (YAML 1.1
    /// §10.3: a quoted or block scalar is always text).
    struct Scalar {
        var text: String
        /// Written plain: not quoted, not a block scalar.
        var isPlain: Bool
        /// The explicit tag, if any (`tag:yaml.org,2002:str` for `!!str`).
        var tag: String?

        /// Whether the scalar is YAML's null: a plain `~`, `null`, `Null`, `NULL` or
        /// nothing at all (as Yams reads it, whatever its tag).
        var isNull: Bool {
            guard isPlain else { return false }
            switch text {
            case "", "~", "null", "Null", "NULL": return true
            default: return false
            }
        }

        /// Whether the scalar may be a boolean: plain and not tagged `!!str`, or tagged
        /// `!!bool` (as Yams reads it).
        var mayBeBoolean: Bool {
            (isPlain && tag != "tag:yaml.org,2002:str") || tag == "tag:yaml.org,2002:bool"
        }
    }

    enum Kind {
        case streamStart, streamEnd
        case documentStart, documentEnd
        case mappingStart, mappingEnd
        case sequenceStart, sequenceEnd
        case scalar(Scalar)
        /// A reference to an anchored node (`*name`).
        case alias

        /// What the event opens or is, for messages: "a mapping", "a sequence", "a scalar".
        var noun: String {
            switch self {
            case .mappingStart: "a mapping"
            case .sequenceStart: "a sequence"
            case .scalar(let scalar): scalar.isNull ? "nothing (null)" : "the scalar \(String(reflecting: scalar.text))"
            case .alias: "an alias"
            case .mappingEnd, .sequenceEnd: "the end of the enclosing collection"
            case .documentStart, .documentEnd, .streamStart, .streamEnd: "the end of the document"
            }
        }
    }

    var kind: Kind
    var mark: Mark
}
