/// The transport a SIP hop uses in the deployment tests, as SIP URIs and sipfence's
/// configuration spell it.
enum SIPTransport: String, Sendable {
    case udp
    case tcp

    /// The URI parameter that selects this transport (`;transport=tcp`; nothing for UDP,
    /// the default).
    var uriParameter: String { self == .tcp ? ";transport=tcp" : "" }
}

/// `address` as the host part of a URI or socket: IPv6 in brackets.
func uriHost(_ address: String) -> String {
    address.contains(":") ? "[\(address)]" : address
}
