/// The value of a From, To, Route, Record-Route or Contact header: an optional display
/// name, a URI, and header parameters such as `;tag=`.
public struct SIPNameAddress: Hashable, Sendable {
    /// The display name, if any (quotes removed by the parser).
    public var displayName: String?
    /// The URI.
    public var uri: SIPURI
    /// Header parameters after the URI, in order.
    public var parameters: [SIPParameter]

    /// The `;tag=` parameter (From and To), if present.
    public var tag: String? { parameters.first(named: "tag")?.value }
}
