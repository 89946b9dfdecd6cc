/// Why a `Proxy-Authorization` or `Authorization` value is not acceptable credentials
/// (RFC 3261 §25.1 `credentials`).
///
/// Names and values echoed from the message are cut to ``echoLimit`` characters, so that
/// an error can be logged or put in a reason phrase whatever the client sent.
public enum SIPCredentialsError: Error, Hashable, Sendable {
    /// The value is empty or whitespace.
    case empty
    /// The value does not start with an auth-scheme token.
    case missingScheme
    /// `Digest` with no parameters after it.
    case missingParameters
    /// No parameter name where one was expected, `offset` bytes into the value.
    case expectedParameterName(offset: Int)
    /// A parameter name not followed by `=`.
    case expectedEquals(parameter: String)
    /// `=` not followed by a token or a quoted string.
    case expectedValue(parameter: String)
    /// A quoted string with no closing quote.
    case unterminatedQuotedString(parameter: String)
    /// A control character inside a quoted string (other than a line fold or HTAB).
    case invalidCharacter(parameter: String)
    /// Something other than `,` after a parameter's value.
    case expectedComma(after: String)
    /// A parameter given twice (names compared without regard to case).
    case repeatedParameter(String)
    /// A parameter Digest credentials need is absent: `username`, `realm`, `nonce`,
    /// `uri`, `response`; and `nc`, `cnonce` when `qop` is present (RFC 7616 §3.4).
    case missingParameter(String)
    /// `nc` is not exactly 8 hex digits (RFC 3261 §25.1 `nc-value = 8LHEX`).
    case invalidNonceCount(String)

    /// How many characters of the message an error repeats.
    public static let echoLimit = 32

    /// A short, stable label for metrics and logs.
    public var reason: String {
        switch self {
        case .empty: "empty"
        case .missingScheme: "missing_scheme"
        case .missingParameters: "missing_parameters"
        case .expectedParameterName: "expected_parameter_name"
        case .expectedEquals: "expected_equals"
        case .expectedValue: "expected_value"
        case .unterminatedQuotedString: "unterminated_quoted_string"
        case .invalidCharacter: "invalid_character"
        case .expectedComma: "expected_comma"
        case .repeatedParameter: "repeated_parameter"
        case .missingParameter: "missing_parameter"
        case .invalidNonceCount: "invalid_nonce_count"
        }
    }
}

extension SIPCredentialsError: CustomStringConvertible {
    /// A sentence for logs and reason phrases.
    public var description: String {
        switch self {
        case .empty: "Empty credentials"
        case .missingScheme: "Credentials without an auth-scheme"
        case .missingParameters: "Digest credentials without parameters"
        case .expectedParameterName(let offset): "Expected a parameter name at offset \(offset) of the credentials"
        case .expectedEquals(let name): "Expected '=' after credentials parameter \(name)"
        case .expectedValue(let name): "Expected a token or quoted string for credentials parameter \(name)"
        case .unterminatedQuotedString(let name): "Unterminated quoted string in credentials parameter \(name)"
        case .invalidCharacter(let name): "Control character in credentials parameter \(name)"
        case .expectedComma(let name): "Expected ',' after credentials parameter \(name)"
        case .repeatedParameter(let name): "Repeated credentials parameter \(name)"
        case .missingParameter(let name): "Digest credentials without \(name)"
        case .invalidNonceCount(let value): "Nonce count \"\(value)\" is not 8 hex digits"
        }
    }
}
