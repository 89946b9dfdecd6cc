public import AccessControl
public import Foundation

/// A SIP domain as stored: the name INVITEs are addressed to, its settings, and who owns it.
public struct DomainRecord: Hashable, Sendable, Identifiable {
    /// The domain's SID (`SD…`).
    public let sid: SID
    /// The account that owns the domain.
    public let accountSID: SID
    /// The domain name, normalised; unique across all accounts.
    public var name: DomainName
    /// The stored settings.
    public var settings: DomainSettings
    /// Whether at least one IP access control list is mapped to the domain (by either kind
    /// of mapping). Twilio reports this as `auth_type` `IP_ACL`; without it the domain
    /// admits no traffic.
    public let hasIPAccessControlListMappings: Bool
    /// The kinds of credential list mapping the domain has at least one of. The legacy and
    /// Auth/Calls kinds ask callers for digest credentials (Twilio's `auth_type`
    /// `CREDENTIAL_LIST`); Auth/Registrations concerns `REGISTER` only.
    public let credentialListMappingKinds: Set<CredentialMappingKind>
    /// When the domain was created (whole seconds).
    public let dateCreated: Date
    /// When the domain was last changed (whole seconds).
    public let dateUpdated: Date

    /// Whether callers must present digest credentials: a credential list is mapped by a
    /// legacy or an Auth/Calls mapping.
    public var hasCallCredentialListMappings: Bool {
        credentialListMappingKinds.contains { $0.authenticatesCalls }
    }

    /// The record's identity is its SID.
    public var id: SID { sid }

    /// A domain record with the given values; the store makes these, tests may too.
    public init(
        sid: SID,
        accountSID: SID,
        name: DomainName,
        settings: DomainSettings,
        hasIPAccessControlListMappings: Bool,
        credentialListMappingKinds: Set<CredentialMappingKind> = [],
        dateCreated: Date,
        dateUpdated: Date
    ) {
        self.sid = sid
        self.accountSID = accountSID
        self.name = name
        self.settings = settings
        self.hasIPAccessControlListMappings = hasIPAccessControlListMappings
        self.credentialListMappingKinds = credentialListMappingKinds
        self.dateCreated = dateCreated
        self.dateUpdated = dateUpdated
    }
}
