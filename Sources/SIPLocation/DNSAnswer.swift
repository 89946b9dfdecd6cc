import AccessControl

/// What DNS said for one ``DNSQuestion``, in the form the cache keeps and RFC 3263 §4 uses.
enum DNSAnswer: Hashable, Sendable {
    /// The SRV records for the name (RFC 2782), in the order DNS gave them.
    case serviceRecords([ServiceRecord])
    /// The addresses of the name's A or AAAA records.
    case addresses([IPAddress])
    /// The name does not exist (NXDOMAIN).
    case nameNotFound
    /// The name exists but has no records of the type asked for (NODATA, RFC 2308 §2.2).
    case noRecords

    /// Whether this is a negative answer (RFC 2308), cached for a shorter time.
    var isNegative: Bool {
        switch self {
        case .nameNotFound, .noRecords: true
        case .serviceRecords, .addresses: false
        }
    }
}

/// An answer from the DNS server and how long it may be reused.
struct DNSResponse: Hashable, Sendable {
    /// The answer.
    var answer: DNSAnswer
    /// Seconds the answer may be cached: the smallest TTL of the records used, or for a
    /// negative answer the SOA's negative TTL (RFC 2308 §5); `nil` when the reply carried none.
    var timeToLive: Int?
}
