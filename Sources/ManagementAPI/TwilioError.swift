import AccessControl
public import Hummingbird

/// An error answered the way Twilio's API answers it: an HTTP status and a JSON body
/// `{"code", "message", "more_info", "status"}`.
///
/// Every failure the management API reports, including ones raised by Hummingbird (an
/// unknown path, a body over the limit), reaches the client in this form, so Twilio's
/// helper libraries raise their usual exception (`TwilioRestException` with `code` and
/// `status`) against sipfence as they would against Twilio.
public struct TwilioError: Error, Hashable, Sendable, HTTPResponseError {
    /// The HTTP status.
    public let status: HTTPResponse.Status
    /// Twilio's error code (see ``TwilioErrorCode``).
    public let code: TwilioErrorCode
    /// A message for people; for a parameter error it names the parameter.
    public let message: String
    /// Extra response headers (`WWW-Authenticate`, `Allow`).
    public let headers: HTTPFields

    /// An error with the given status, code and message.
    public init(status: HTTPResponse.Status, code: TwilioErrorCode, message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    /// Renders the error as Twilio's JSON body.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = JSONBody.response(
            status: status,
            body: TwilioErrorBody(
                code: code.rawValue, message: message,
                moreInfo: "https://www.twilio.com/docs/errors/\(code.rawValue)", status: Int(status.code)))
        response.headers.append(contentsOf: headers)
        return response
    }
}

extension TwilioError {
    /// 401 / 20003: no credentials, or wrong ones.
    static func authenticationFailed(_ reason: String) -> TwilioError {
        TwilioError(
            status: .unauthorized, code: .authenticationFailed, message: "Authentication Error - \(reason)",
            headers: [.wwwAuthenticate: "Basic realm=\"sipfence\""])
    }

    /// 403 / 20403: the authenticated account may not use the resource at `path`.
    static func forbidden(_ path: String, _ reason: String) -> TwilioError {
        TwilioError(status: .forbidden, code: .forbidden, message: "Forbidden: \(path): \(reason)")
    }

    /// 404 / 20404: the resource at `path` does not exist (or belongs to another account).
    static func notFound(_ path: String) -> TwilioError {
        TwilioError(status: .notFound, code: .notFound, message: "The requested resource \(path) was not found")
    }

    /// 405 / 20004: the resource exists but does not support the method.
    static func methodNotAllowed(
        _ method: HTTPRequest.Method, path: String, allowed: [HTTPRequest.Method]
    ) -> TwilioError {
        TwilioError(
            status: .methodNotAllowed, code: .methodNotAllowed,
            message: "Method \(method.rawValue) not allowed on \(path)",
            headers: [.allow: allowed.map(\.rawValue).joined(separator: ", ")])
    }

    /// 400: the required `parameter` is absent (or empty).
    static func missingParameter(_ parameter: String, code: TwilioErrorCode = .invalidParameter) -> TwilioError {
        TwilioError(
            status: .badRequest, code: code,
            message: "\(code.title)Missing required parameter \(parameter) in the post body")
    }

    /// 400: `parameter` has a value that cannot be used, for `reason`.
    static func invalidParameter(
        _ parameter: String, _ reason: String, code: TwilioErrorCode = .invalidParameter
    ) -> TwilioError {
        TwilioError(status: .badRequest, code: code, message: "\(code.title)\(parameter) is invalid: \(reason)")
    }

    /// 400 / 21234: an IP address entry shorter than the server's minimum for its family
    /// (`policy.min_prefix_length_ipv4` / `_ipv6`), naming the parameter that set its length.
    static func prefixTooShort(_ prefix: IPPrefix, minimum: Int, parameter: String) -> TwilioError {
        let family = prefix.canonical.family
        return .invalidParameter(
            parameter,
            "\(prefix) is shorter than /\(minimum), the shortest \(family.name) prefix this server accepts "
                + "(policy.min_prefix_length_\(family == .ipv4 ? "ipv4" : "ipv6"))")
    }

    /// 400 / 21481: a `PageToken` this server did not issue.
    static func invalidPageToken(_ token: String) -> TwilioError {
        TwilioError(
            status: .badRequest, code: .invalidPageToken,
            message: "Invalid PageToken \(String(reflecting: token))")
    }

    /// 413 / 20413: a request body over `limit` bytes.
    static func bodyTooLarge(limit: Int) -> TwilioError {
        TwilioError(
            status: .contentTooLarge, code: .bodyTooLarge,
            message: "The request body is larger than the limit of \(limit) bytes")
    }

    /// 415 / 20415: a body that is not `application/x-www-form-urlencoded`.
    static func unsupportedMediaType(_ contentType: String) -> TwilioError {
        TwilioError(
            status: .unsupportedMediaType, code: .unsupportedMediaType,
            message: "Content-Type \(contentType) is not supported; send application/x-www-form-urlencoded")
    }

    /// 500 / 20500: a failure of the server itself; details go to the log, not the client.
    static let internalError = TwilioError(
        status: .internalServerError, code: .internalError, message: "Internal Server Error")

    /// 503 / 20503: the store cannot be read.
    static let serviceUnavailable = TwilioError(
        status: .serviceUnavailable, code: .serviceUnavailable, message: "Service Unavailable")
}

/// The wire form of a ``TwilioError``.
struct TwilioErrorBody: Encodable {
    let code: Int
    let message: String
    let moreInfo: String
    let status: Int

    enum CodingKeys: String, CodingKey {
        case code, message, status
        case moreInfo = "more_info"
    }
}
