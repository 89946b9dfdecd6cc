/// Parses one credentials value (RFC 3261 §25.1): the working state of
/// ``SIPCredentials/init(parsing:)``. One instance parses one value.
struct SIPCredentialsParser {
    let input: [UInt8]
    let range: Range<Int>
    var index: Int

    init(input: [UInt8], range: Range<Int>) {
        self.input = input
        self.range = range
        self.index = range.lowerBound
    }

    mutating func parse() throws(SIPCredentialsError) -> SIPCredentials {
        skipWhitespace()
        guard index < range.upperBound else { throw .empty }
        let scheme = token()
        guard !scheme.isEmpty else { throw .missingScheme }
        guard input[scheme].equalsCaseInsensitive("Digest") else {
            return .other(scheme: Self.echo(input[scheme]))
        }
        // `"Digest" LWS digest-response`: at least one whitespace, then a parameter.
        let afterScheme = index
        skipWhitespace()
        guard index < range.upperBound else { throw .missingParameters }
        guard index > afterScheme else { throw .expectedParameterName(offset: afterScheme - range.lowerBound) }

        var parameters: [String: String] = [:]
        while true {
            let nameRange = token()
            guard !nameRange.isEmpty else { throw .expectedParameterName(offset: index - range.lowerBound) }
            // Names compare without regard to case; errors repeat at most a prefix.
            let key = input[nameRange].text.lowercased()
            let name = Self.echo(input[nameRange])
            skipWhitespace()
            guard index < range.upperBound, input[index] == UInt8(ascii: "=") else { throw .expectedEquals(parameter: name) }
            index += 1
            skipWhitespace()
            let value = try self.value(of: name)
            guard parameters.updateValue(value, forKey: key) == nil else { throw .repeatedParameter(name) }
            skipWhitespace()
            guard index < range.upperBound else { break }
            guard input[index] == .comma else { throw .expectedComma(after: name) }
            index += 1
            skipWhitespace()
        }
        return .digest(try Self.credentials(parameters))
    }

    /// The Digest credentials from their parameters, checking what must be present.
    static func credentials(_ parameters: [String: String]) throws(SIPCredentialsError) -> SIPDigestCredentials {
        func required(_ name: String) throws(SIPCredentialsError) -> String {
            guard let value = parameters[name] else { throw .missingParameter(name) }
            return value
        }
        var credentials = SIPDigestCredentials(
            username: try required("username"),
            realm: try required("realm"),
            nonce: try required("nonce"),
            uri: try required("uri"),
            response: try required("response")
        )
        credentials.algorithm = parameters["algorithm"]
        credentials.opaque = parameters["opaque"]
        credentials.qop = parameters["qop"]
        credentials.cnonce = parameters["cnonce"]
        credentials.nc = parameters["nc"]
        if let nc = credentials.nc {
            guard nc.utf8.count == 8, nc.utf8.allSatisfy(\.isHexDigit) else {
                throw .invalidNonceCount(String(nc.prefix(SIPCredentialsError.echoLimit)))
            }
        }
        if credentials.qop != nil {
            guard credentials.nc != nil else { throw .missingParameter("nc") }
            guard credentials.cnonce != nil else { throw .missingParameter("cnonce") }
        }
        return credentials
    }

    /// A parameter value: a quoted string, unquoted and unescaped, or a token.
    mutating func value(of name: String) throws(SIPCredentialsError) -> String {
        guard index < range.upperBound else { throw .expectedValue(parameter: name) }
        guard input[index] == .quote else {
            let value = token()
            guard !value.isEmpty else { throw .expectedValue(parameter: name) }
            return input[value].text
        }
        index += 1
        var value: [UInt8] = []
        while index < range.upperBound {
            let byte = input[index]
            switch byte {
            case .quote:
                index += 1
                return value.text
            case .backslash:
                // quoted-pair: any byte but CR and LF.
                guard index + 1 < range.upperBound else { throw .unterminatedQuotedString(parameter: name) }
                let escaped = input[index + 1]
                guard escaped != .cr, escaped != .lf else { throw .invalidCharacter(parameter: name) }
                value.append(escaped)
                index += 2
                continue
            case .cr, .lf:
                // A line fold: CRLF followed by whitespace, which stays (RFC 3261 §7.3.1).
                break
            case .tab:
                value.append(byte)
            case ..<0x20, 0x7F:
                throw .invalidCharacter(parameter: name)
            default:
                value.append(byte)
            }
            index += 1
        }
        throw .unterminatedQuotedString(parameter: name)
    }

    /// The token at `index` (possibly empty), moving past it.
    mutating func token() -> Range<Int> {
        let start = index
        while index < range.upperBound, input[index].isTokenCharacter { index += 1 }
        return start..<index
    }

    /// Moves past SP, HTAB and the CRLF of line folds.
    mutating func skipWhitespace() {
        while index < range.upperBound, input[index].isWhitespace || input[index] == .cr || input[index] == .lf { index += 1 }
    }

    /// Text from the message, cut to ``SIPCredentialsError/echoLimit`` characters.
    static func echo(_ bytes: ArraySlice<UInt8>) -> String {
        bytes.prefix(SIPCredentialsError.echoLimit).text
    }
}

extension UInt8 {
    /// `0`…`9`, `a`…`f`, `A`…`F`.
    var isHexDigit: Bool {
        isDigit || ((self | 0x20) >= UInt8(ascii: "a") && (self | 0x20) <= UInt8(ascii: "f"))
    }
}
