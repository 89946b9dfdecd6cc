/// Why no server could be found for a SIP URI's host (RFC 3263 §4).
///
/// The cases separate what a caller may act on differently: a name that does not exist or
/// has no usable records is a permanent answer from DNS (a proxy answers 404 or 604), a
/// failing or silent server is a temporary condition (503, or retry later), and a resolver
/// that could not start is a configuration fault.
public enum SIPLocationError: Error, Hashable, Sendable {
    /// The host is empty or not a name DNS can look up.
    case invalidHost(String)
    /// A port outside 1…65535.
    case invalidPort(Int)
    /// DNS says the name does not exist (NXDOMAIN, RFC 1035 §4.1.1 RCODE 3).
    case nameNotFound(String)
    /// The name exists but has no A or AAAA records, nor SRV targets that do (RFC 3263 §4.2).
    case noAddresses(String)
    /// Every SRV record for the name has the target `.`: the domain says it offers no SIP
    /// service (RFC 2782).
    case serviceNotAvailable(String)
    /// The DNS server answered with an error (SERVFAIL, REFUSED, FORMERR, NOTIMP), an answer
    /// that could not be read, or could not be reached; `reason` says which.
    case serverFailure(name: String, reason: String)
    /// No answer for `name` came within the resolver's timeout.
    case timeout(name: String, after: Duration)
    /// The resolver could not be started or has been shut down; `reason` says why.
    case resolverUnavailable(reason: String)
    /// The task asking was cancelled before an answer came.
    case cancelled
}

extension SIPLocationError: CustomStringConvertible {
    /// A sentence for logs and operators, naming the host and the cause.
    public var description: String {
        switch self {
        case .invalidHost(let host):
            "\(String(reflecting: host)) is not a host name or IP address"
        case .invalidPort(let port):
            "port \(port) is outside 1…65535"
        case .nameNotFound(let name):
            "DNS name \(name) does not exist (NXDOMAIN)"
        case .noAddresses(let name):
            "DNS name \(name) has no A or AAAA records, nor SRV targets that do"
        case .serviceNotAvailable(let name):
            "\(name) publishes SRV records with target \".\": it offers no SIP service there"
        case .serverFailure(let name, let reason):
            "DNS lookup of \(name) failed: \(reason)"
        case .timeout(let name, let after):
            "DNS lookup of \(name) got no answer within \(after)"
        case .resolverUnavailable(let reason):
            "the DNS resolver is unavailable: \(reason)"
        case .cancelled:
            "the DNS lookup was cancelled"
        }
    }
}
