/// The two ways Twilio's API maps an IP access control list to a domain.
///
/// Both have the same effect on admission (the source must lie in one of the lists mapped
/// by either kind); they are kept apart because clients manage them through different
/// URLs and expect to read back what they wrote.
public enum MappingKind: String, Hashable, Sendable, CaseIterable, Codable {
    /// `Domains/{Sid}/IpAccessControlListMappings` (the original API).
    case legacy
    /// `Domains/{Sid}/Auth/Calls/IpAccessControlListMappings` (the current API).
    case authCalls = "auth_calls"
}

extension MappingKind: CustomStringConvertible {
    /// The kind's stored name.
    public var description: String { rawValue }
}
