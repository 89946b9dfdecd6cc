public import SIPCore

/// Finds where to send a request for a SIP URI's host (RFC 3263 §4).
///
/// SIPEdge asks this when a request's next hop — its top Route, else its Request-URI —
/// names a host rather than an address. Implementations must be safe to call from many
/// tasks at once.
public protocol SIPServerLocating: Sendable {
    /// The targets for a URI's host, in the order to try them (RFC 3263 §4).
    ///
    /// - Parameters:
    ///   - host: A host name, or an IP address literal (IPv6 without brackets).
    ///   - port: The URI's port, when it names one (1…65535).
    ///   - transport: The URI's `transport` parameter, when it has one.
    ///   - secure: Whether the URI is a `sips` URI, which needs TLS (RFC 3263 §4.1).
    /// - Returns: At least one target.
    /// - Throws: ``SIPLocationError`` when no target can be found: the name does not exist,
    ///   has no usable records, or DNS did not answer.
    func locate(host: String, port: Int?, transport: SIPTransport?, secure: Bool) async throws(SIPLocationError)
        -> [SIPServerTarget]
}
