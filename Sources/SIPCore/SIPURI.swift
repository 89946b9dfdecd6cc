/// A URI as SIP uses it: a `sip:`/`sips:` URI broken into its parts, or any other scheme
/// (`tel:`, `urn:`, …) kept as text.
public struct SIPURI: Hashable, Sendable {
    /// The scheme, in lower case (`sip`, `sips`, `tel`, …).
    public var scheme: String
    /// The user part of a SIP URI, unescaped, if present.
    public var user: String?
    /// The host of a SIP URI, without IPv6 brackets; `nil` for other schemes.
    public var host: String?
    /// The port of a SIP URI, if present.
    public var port: Int?
    /// The `;name=value` parameters of a SIP URI, in order.
    public var parameters: [SIPParameter]
    /// The `?name=value` headers of a SIP URI, in order.
    public var headers: [SIPParameter]
    /// The URI exactly as received.
    public var text: String

    /// Whether the scheme is `sip` or `sips`, so that ``host`` names where it goes.
    public var isSIP: Bool { scheme == "sip" || scheme == "sips" }

    /// The transport the `;transport=` parameter names, if any and known.
    public var transport: SIPTransport? {
        parameters.first(named: "transport")?.value.flatMap { SIPTransport(named: $0) }
    }

    /// Whether the URI carries `;lr` (a loose-routing proxy, RFC 3261 §16.4).
    public var isLooseRouter: Bool { parameters.contains(named: "lr") }

    /// The URI as it may stand as a Request-URI: a SIP URI's headers component (`?…`),
    /// which RFC 3261 §19.1.1 does not allow there, is stripped, as §12.2.1.1 strips what
    /// a Request-URI may not carry when a route set URI becomes one. Other URIs as they are.
    public var requestURIText: String {
        guard isSIP, !headers.isEmpty, let question = text.firstIndex(of: "?") else { return text }
        return String(text[..<question])
    }
}

extension SIPURI: CustomStringConvertible {
    public var description: String { text }
}
