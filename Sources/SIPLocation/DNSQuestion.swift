import AccessControl

/// One DNS question sipfence asks: a name and a record type, class IN.
///
/// The name is kept in ``DomainName``'s normalised form (lower case, no trailing dot):
/// DNS names compare case-insensitively (RFC 4343), so `Example.COM.` and `example.com`
/// share one cache entry.
struct DNSQuestion: Hashable, Sendable {
    /// The record types RFC 3263 §4 needs (RFC 1035 §3.2.2, RFC 3596, RFC 2782).
    enum RecordType: Int32, Hashable, Sendable, CustomStringConvertible {
        /// An IPv4 address.
        case a = 1
        /// An IPv6 address.
        case aaaa = 28
        /// A service location.
        case srv = 33

        var description: String {
            switch self {
            case .a: "A"
            case .aaaa: "AAAA"
            case .srv: "SRV"
            }
        }
    }

    /// The name asked about, normalised.
    let name: String
    /// The record type asked for.
    let type: RecordType

    /// The question for `name`'s records of `type`.
    init(_ name: String, _ type: RecordType) {
        self.name = DomainName(normalizing: name).normalized
        self.type = type
    }
}

extension DNSQuestion: CustomStringConvertible {
    /// `example.com SRV`, as logs and errors name a question.
    var description: String { "\(name) \(type)" }
}
