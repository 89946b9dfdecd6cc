public import Foundation

/// A mapping of a credential list to a domain.
///
/// As in Twilio, a mapping has no identity of its own: its SID is the mapped list's
/// (`CL…`), and its friendly name is the list's. A list is mapped to a domain at most once
/// per ``CredentialMappingKind``.
public struct CredentialListMappingRecord: Hashable, Sendable {
    /// Which URL family the mapping belongs to.
    public let kind: CredentialMappingKind
    /// The account that owns the domain and the list.
    public let accountSID: SID
    /// The domain the list is mapped to.
    public let domainSID: SID
    /// The mapped list; also the mapping's SID.
    public let listSID: SID
    /// The mapped list's friendly name.
    public let friendlyName: String
    /// When the mapping was created (whole seconds).
    public let dateCreated: Date
    /// When the mapping was last changed (whole seconds).
    public let dateUpdated: Date

    /// The mapping's SID: the mapped list's.
    public var sid: SID { listSID }

    /// A mapping with the given values; the store makes these, tests may too.
    public init(
        kind: CredentialMappingKind, accountSID: SID, domainSID: SID, listSID: SID, friendlyName: String,
        dateCreated: Date, dateUpdated: Date
    ) {
        self.kind = kind
        self.accountSID = accountSID
        self.domainSID = domainSID
        self.listSID = listSID
        self.friendlyName = friendlyName
        self.dateCreated = dateCreated
        self.dateUpdated = dateUpdated
    }
}
