/// A final response status sipfence generates itself, with its RFC 3261 reason phrase.
public struct SIPStatus: Hashable, Sendable {
    /// The status code.
    public let code: Int
    /// The reason phrase.
    public let reasonPhrase: String

    /// A status with a code and reason phrase.
    public init(code: Int, reasonPhrase: String) {
        self.code = code
        self.reasonPhrase = reasonPhrase
    }

    /// A status for `code` with its standard reason phrase (or "Unknown").
    public init(code: Int) {
        self.init(code: code, reasonPhrase: Self.standardReasonPhrases[code] ?? "Unknown")
    }

    public static let badRequest = SIPStatus(code: 400)
    public static let forbidden = SIPStatus(code: 403)
    public static let notFound = SIPStatus(code: 404)
    /// `407 Proxy Authentication Required`: the Digest challenge of a proxy (RFC 3261 §22.3).
    public static let proxyAuthenticationRequired = SIPStatus(code: 407)
    public static let unsupportedURIScheme = SIPStatus(code: 416)
    public static let loopDetected = SIPStatus(code: 482)
    public static let tooManyHops = SIPStatus(code: 483)
    public static let messageTooLarge = SIPStatus(code: 513)
    /// `503 Service Unavailable`: an admitted request that could not be sent on (RFC 3261 §16.9).
    public static let serviceUnavailable = SIPStatus(code: 503)
    public static let versionNotSupported = SIPStatus(code: 505)

    /// RFC 3261 §21 reason phrases of the codes an edge filter may send.
    static let standardReasonPhrases: [Int: String] = [
        400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
        405: "Method Not Allowed", 407: "Proxy Authentication Required", 408: "Request Timeout", 410: "Gone", 416: "Unsupported URI Scheme",
        480: "Temporarily Unavailable", 482: "Loop Detected", 483: "Too Many Hops", 488: "Not Acceptable Here",
        500: "Server Internal Error", 502: "Bad Gateway", 503: "Service Unavailable", 505: "Version Not Supported",
        513: "Message Too Large", 603: "Decline", 604: "Does Not Exist Anywhere",
    ]
}
