/// Why bytes are not an acceptable SIP message.
///
/// sipfence refuses more than libosip2 does: the RFC 4475 §3.1.2 messages must never be
/// forwarded. Each case names what was wrong so that a `400` can say it in its reason
/// phrase and logs can show it; ``reason`` is a short stable label for metrics.
public enum SIPParseError: Error, Hashable, Sendable {
    /// Nothing but line breaks.
    case empty
    /// No empty line ends the header section.
    case missingEndOfHeaders
    /// A CR or LF that is not part of a CRLF pair, or a NUL outside a quoted string.
    case invalidControlCharacter(line: Int)
    /// The start line is not `Method SP Request-URI SP SIP-Version` or
    /// `SIP-Version SP Status-Code SP Reason-Phrase`.
    case malformedStartLine(String)
    /// A SIP version other than 2.0.
    case unsupportedVersion(String)
    /// The Request-URI is unacceptable (angle brackets, escaped headers, bad syntax).
    case malformedRequestURI(String)
    /// A status code outside 100…699.
    case invalidStatusCode(String)
    /// A header line without a colon, or with an invalid name.
    case malformedHeaderLine(line: Int)
    /// A required header is missing.
    case missingHeader(SIPHeaderName)
    /// A header that may appear once appears several times with different values.
    case conflictingHeaders(SIPHeaderName)
    /// A header value does not parse.
    case malformedHeader(SIPHeaderName, String)
    /// The CSeq method differs from the request method.
    case cseqMethodMismatch(cseq: String, method: String)
    /// Content-Length promises more body than arrived.
    case truncatedBody(declared: Int, received: Int)
    /// A message on a stream transport without Content-Length.
    case missingContentLength

    /// A short, stable label for metrics and logs.
    public var reason: String {
        switch self {
        case .empty: "empty"
        case .missingEndOfHeaders: "missing_end_of_headers"
        case .invalidControlCharacter: "invalid_control_character"
        case .malformedStartLine: "malformed_start_line"
        case .unsupportedVersion: "unsupported_version"
        case .malformedRequestURI: "malformed_request_uri"
        case .invalidStatusCode: "invalid_status_code"
        case .malformedHeaderLine: "malformed_header_line"
        case .missingHeader: "missing_header"
        case .conflictingHeaders: "conflicting_headers"
        case .malformedHeader: "malformed_header"
        case .cseqMethodMismatch: "cseq_method_mismatch"
        case .truncatedBody: "truncated_body"
        case .missingContentLength: "missing_content_length"
        }
    }
}

extension SIPParseError: CustomStringConvertible {
    /// A sentence for logs and for the reason phrase of a `400`.
    public var description: String {
        switch self {
        case .empty:
            "Empty message"
        case .missingEndOfHeaders:
            "No empty line after the headers"
        case .invalidControlCharacter(let line):
            "Invalid control character on line \(line)"
        case .malformedStartLine(let detail):
            "Malformed start line: \(detail)"
        case .unsupportedVersion(let version):
            "SIP version \(version) not supported"
        case .malformedRequestURI(let detail):
            "Malformed Request-URI: \(detail)"
        case .invalidStatusCode(let code):
            "Invalid status code \(code)"
        case .malformedHeaderLine(let line):
            "Malformed header line \(line)"
        case .missingHeader(let name):
            "Missing \(name.canonicalName) header"
        case .conflictingHeaders(let name):
            "Conflicting \(name.canonicalName) headers"
        case .malformedHeader(let name, let detail):
            "Malformed \(name.canonicalName) header: \(detail)"
        case .cseqMethodMismatch(let cseq, let method):
            "CSeq method \(cseq) does not match request method \(method)"
        case .truncatedBody(let declared, let received):
            "Content-Length \(declared) but only \(received) body bytes"
        case .missingContentLength:
            "Missing Content-Length on a stream transport"
        }
    }
}
