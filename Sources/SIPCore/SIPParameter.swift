/// A `;name[=value]` parameter of a SIP URI or header value, as received.
public struct SIPParameter: Hashable, Sendable {
    /// The parameter name, as written (parameter names compare case-insensitively).
    public var name: String
    /// The value, or `nil` for a flag parameter such as `;lr` or a valueless `;rport`.
    public var value: String?

    /// A parameter named `name` with an optional `value`.
    public init(name: String, value: String? = nil) {
        self.name = name
        self.value = value
    }
}

extension SIPParameter {
    /// Whether this is an RFC 3261 §25.1 `generic-param`: a token name and, if there is a
    /// value, a token, a host (an IPv6 reference included) or a quoted string.
    ///
    /// libosip2 accepts more in a Via (quotes, `<`, spaces and control bytes in a name);
    /// sipfence writes the Via it stamps back from its parameters, so a parameter it
    /// could not parse again must be refused on the way in.
    var isGenericParameter: Bool {
        guard name.utf8.isToken else { return false }
        guard let value else { return true }
        let bytes = value.utf8
        if bytes.isToken { return true }
        if bytes.count >= 2, bytes.first == .quote, bytes.last == .quote {
            // quoted-string: no bare quote or control byte inside; backslash escapes one byte.
            var escaped = false
            for byte in bytes.dropFirst().dropLast() {
                if escaped {
                    escaped = false
                } else if byte == .backslash {
                    escaped = true
                } else if byte == .quote || byte < .space || byte == 0x7F {
                    return false
                }
            }
            return !escaped
        }
        // IPv6reference (a host), or an IPv6address (`received`, RFC 3261 §18.2.1).
        func isIPv6Character(_ byte: UInt8) -> Bool { byte.isHexDigit || byte == .colon || byte == UInt8(ascii: ".") }
        if bytes.count >= 3, bytes.first == UInt8(ascii: "["), bytes.last == UInt8(ascii: "]") {
            return bytes.dropFirst().dropLast().allSatisfy(isIPv6Character)
        }
        return bytes.contains(.colon) && bytes.allSatisfy(isIPv6Character)
    }
}

extension Array where Element == SIPParameter {
    /// The first parameter called `name` (compared case-insensitively), if any.
    public func first(named name: String) -> SIPParameter? {
        first { $0.name.utf8.equalsCaseInsensitive(name) }
    }

    /// Whether a parameter called `name` is present, with or without a value.
    public func contains(named name: String) -> Bool {
        first(named: name) != nil
    }
}
