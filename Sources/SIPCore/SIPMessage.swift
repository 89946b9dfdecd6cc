/// A parsed and validated SIP request or response.
///
/// The message keeps its bytes and the position of every header field, so that
/// sipfence forwards and answers with header values copied byte-exact, and it keeps the
/// parsed values admission and proxying need: the Request-URI, every Via, the From and
/// To tags, Call-ID, CSeq, Max-Forwards, Content-Length and Route. Every From, To, Contact
/// and Record-Route value is checked too; ``nameAddresses(_:)`` reads them when asked.
///
/// Create one with ``init(parsing:framing:)``; only messages that pass sipfence's
/// validation (stricter than libosip2's, see ``SIPParseError``) become values of this type.
///
/// A class, not a struct: a message is immutable once parsed, and the admission pipeline
/// passes it through several stages; a copy is then one reference, not one retain per
/// header value, URI and parameter list.
public final class SIPMessage: Sendable {
    /// The first line: a request's method and Request-URI, or a response's status.
    public enum StartLine: Hashable, Sendable {
        /// A request: method (case-sensitive) and Request-URI.
        case request(method: String, uri: SIPURI)
        /// A response: status code (100…699) and reason phrase.
        case response(statusCode: Int, reasonPhrase: String)
    }

    /// The message's bytes; for datagrams, without any octets beyond Content-Length.
    public let bytes: [UInt8]
    /// The start line.
    public let startLine: StartLine
    /// The method of a request, `nil` for a response.
    ///
    /// Stored beside ``startLine`` (as is ``requestURI``): reading them out of the enum
    /// copied the whole start line, URI parts and all, at every use in the pipeline.
    public let method: String?
    /// The Request-URI of a request, `nil` for a response.
    public let requestURI: SIPURI?
    /// Where the start line is in ``bytes`` (without its CRLF).
    public let startLineRange: Range<Int>
    /// Every header field, in order.
    public let headerFields: [SIPHeaderField]
    /// Where the body is in ``bytes``.
    public let bodyRange: Range<Int>
    /// Every Via value, top first (values of one field split at commas).
    public let vias: [SIPVia]
    /// Where the top Via value is in ``bytes``.
    let topViaRange: Range<Int>
    /// The From header's `tag` parameter (RFC 3261 §8.1.1.3), if it has one.
    ///
    /// From and To are checked in full when the message is parsed, but only their tags are
    /// kept: nothing else of them decides or routes. ``nameAddresses(_:)`` parses them again.
    public let fromTag: String?
    /// The To header's `tag` parameter, if it has one: a request with one is inside a
    /// dialog (RFC 3261 §12.2).
    public let toTag: String?
    /// The Call-ID.
    public let callID: String
    /// The CSeq header.
    public let cseq: SIPCSeq
    /// Max-Forwards, if present (0…255).
    public let maxForwards: Int?
    /// Content-Length, if present.
    public let contentLength: Int?
    /// Route values, in order.
    public let routes: [SIPNameAddress]
    /// What a response to this message copies, found while parsing.
    let replyContext: SIPReplyContext

    /// Everything the parser found, in the order of the stored properties above.
    struct Parts {
        var bytes: [UInt8]
        var startLine: StartLine
        var method: String?
        var requestURI: SIPURI?
        var startLineRange: Range<Int>
        var headerFields: [SIPHeaderField]
        var bodyRange: Range<Int>
        var vias: [SIPVia]
        var topViaRange: Range<Int>
        var fromTag: String?
        var toTag: String?
        var callID: String
        var cseq: SIPCSeq
        var maxForwards: Int?
        var contentLength: Int?
        var routes: [SIPNameAddress]
        var replyContext: SIPReplyContext
    }

    /// A message from its parsed parts; only the parser makes one.
    init(_ parts: Parts) {
        bytes = parts.bytes
        startLine = parts.startLine
        method = parts.method
        requestURI = parts.requestURI
        startLineRange = parts.startLineRange
        headerFields = parts.headerFields
        bodyRange = parts.bodyRange
        vias = parts.vias
        topViaRange = parts.topViaRange
        fromTag = parts.fromTag
        toTag = parts.toTag
        callID = parts.callID
        cseq = parts.cseq
        maxForwards = parts.maxForwards
        contentLength = parts.contentLength
        routes = parts.routes
        replyContext = parts.replyContext
    }

    /// The status code of a response, `nil` for a request.
    public var statusCode: Int? {
        if case .response(let code, _) = startLine { return code }
        return nil
    }

    /// Whether this is a request.
    public var isRequest: Bool { method != nil }

    /// The top Via (every valid message has one).
    public var topVia: SIPVia { vias[0] }

    /// The body's bytes.
    public var body: ArraySlice<UInt8> { bytes[bodyRange] }

    /// The fields of header `name`, in order.
    public func fields(_ name: SIPHeaderName) -> [SIPHeaderField] {
        headerFields.filter { $0.name == name }
    }

    /// The value of `field` as text.
    public func value(of field: SIPHeaderField) -> String {
        bytes[field.valueRange].text
    }
}
