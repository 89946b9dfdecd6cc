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
