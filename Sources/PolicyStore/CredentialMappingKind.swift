/// The three ways Twilio's API maps a credential list to a domain.
///
/// The legacy and Auth/Calls mappings both ask callers placing calls through the domain
/// for digest credentials; the Auth/Registrations mapping authenticates `REGISTER`
/// requests. They are kept apart, as ``MappingKind`` keeps the IP access control list
/// mappings apart, because clients manage them through different URLs and expect to read
/// back what they wrote.
public enum CredentialMappingKind: String, Hashable, Sendable, CaseIterable, Codable {
    /// `Domains/{Sid}/CredentialListMappings` (the original API).
    case legacy
    /// `Domains/{Sid}/Auth/Calls/CredentialListMappings` (the current API, for calls).
    case authCalls = "auth_calls"
    /// `Domains/{Sid}/Auth/Registrations/CredentialListMappings` (for registrations).
    case authRegistrations = "auth_registrations"

    /// Whether mappings of this kind authenticate calls (INVITEs), as the legacy and
    /// Auth/Calls mappings do; registration mappings authenticate only `REGISTER`.
    public var authenticatesCalls: Bool {
        switch self {
        case .legacy, .authCalls: true
        case .authRegistrations: false
        }
    }
}

extension CredentialMappingKind: CustomStringConvertible {
    /// The kind's stored name.
    public var description: String { rawValue }
}
