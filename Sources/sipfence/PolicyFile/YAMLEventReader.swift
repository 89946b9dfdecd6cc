import CYaml

#if canImport(Glibc)
import Glibc
#endif

/// The events of a YAML stream, one at a time, from libyaml's parser (the library Yams is
/// built on), so that a policy file of a million addresses is read without building its
/// tree: Yams' `Node` tree of such a file took 500 MB.
///
/// Reads a file as it goes (``init(contentsOf:)``) or text held in memory
/// (``init(yaml:)``).
final class YAMLEventReader {
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    private var file: UnsafeMutablePointer<FILE>?
    private var text: UnsafeMutableBufferPointer<UInt8>?
    private var eventCount = 0

    /// Called with the bytes of the file read so far every few thousand events (a file
    /// only): for a progress report.
    var onProgress: ((Int) -> Void)?

    /// A reader of the file at `path`.
    ///
    /// - Throws: ``PolicyDocumentReadError/cannotOpen(_:reason:)``.
    init(contentsOf path: String) throws(PolicyDocumentReadError) {
        guard let file = fopen(path, "rb") else {
            throw .cannotOpen(path, reason: String(cString: strerror(errno)))
        }
        parser = .allocate(capacity: 1)
        guard yaml_parser_initialize(parser) == 1 else {
            fclose(file)
            parser.deallocate()
            throw .cannotOpen(path, reason: "libyaml cannot allocate a parser")
        }
        self.file = file
        yaml_parser_set_input_file(parser, file)
    }

    /// A reader of `yaml`.
    init(yaml: String) {
        let bytes = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(1, yaml.utf8.count))
        _ = bytes.initialize(from: yaml.utf8)
        text = bytes
        parser = .allocate(capacity: 1)
        // Fails only when malloc does; the first `next()` then reports libyaml's error.
        _ = yaml_parser_initialize(parser)
        yaml_parser_set_input_string(parser, bytes.baseAddress, yaml.utf8.count)
    }

    deinit {
        yaml_parser_delete(parser)
        parser.deallocate()
        if let file { fclose(file) }
        text?.deallocate()
    }

    /// The next event.
    ///
    /// - Throws: ``PolicyDocumentReadError/syntax(_:problem:)`` when the text is not YAML.
    func next() throws(PolicyDocumentReadError) -> YAMLEvent {
        var event = yaml_event_t()
        guard yaml_parser_parse(parser, &event) == 1 else {
            let mark = YAMLEvent.Mark(line: parser.pointee.problem_mark.line + 1, column: parser.pointee.problem_mark.column + 1)
            let problem = parser.pointee.problem.map { String(cString: $0) } ?? "not YAML"
            let context = parser.pointee.context.map { String(cString: $0) + ": " } ?? ""
            throw .syntax(mark, problem: context + problem)
        }
        defer { yaml_event_delete(&event) }
        eventCount += 1
        if eventCount % 4_096 == 0, let onProgress, let file {
            onProgress(ftell(file))
        }
        let mark = YAMLEvent.Mark(line: event.start_mark.line + 1, column: event.start_mark.column + 1)
        let kind: YAMLEvent.Kind
        switch event.type {
        case YAML_STREAM_START_EVENT: kind = .streamStart
        case YAML_STREAM_END_EVENT: kind = .streamEnd
        case YAML_DOCUMENT_START_EVENT: kind = .documentStart
        case YAML_DOCUMENT_END_EVENT: kind = .documentEnd
        case YAML_MAPPING_START_EVENT: kind = .mappingStart
        case YAML_MAPPING_END_EVENT: kind = .mappingEnd
        case YAML_SEQUENCE_START_EVENT: kind = .sequenceStart
        case YAML_SEQUENCE_END_EVENT: kind = .sequenceEnd
        case YAML_ALIAS_EVENT: kind = .alias
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let text = scalar.value.map {
                String(decoding: UnsafeBufferPointer(start: $0, count: scalar.length), as: UTF8.self)
            } ?? ""
            let tag = scalar.tag.map { String(cString: $0) }
            kind = .scalar(YAMLEvent.Scalar(text: text, isPlain: scalar.style == YAML_PLAIN_SCALAR_STYLE, tag: tag))
        default:
            throw .syntax(mark, problem: "an event libyaml does not name")
        }
        return YAMLEvent(kind: kind, mark: mark)
    }
}
