public import Foundation

/// A credential list as stored: a named container of ``CredentialRecord``s that can be
/// mapped to domains.
public struct CredentialListRecord: Hashable, Sendable, Identifiable {
    /// The list's SID (`CL…`).
    public let sid: SID
    /// The account that owns the list.
    public let accountSID: SID
    /// The operator's name for the list (up to 64 characters, as on Twilio).
    public var friendlyName: String
    /// When the list was created (whole seconds).
    public let dateCreated: Date
    /// When the list was last changed (whole seconds).
    public let dateUpdated: Date

    /// The record's identity is its SID.
    public var id: SID { sid }

    /// A list record with the given values; the store makes these, tests may too.
    public init(sid: SID, accountSID: SID, friendlyName: String, dateCreated: Date, dateUpdated: Date) {
        self.sid = sid
        self.accountSID = accountSID
        self.friendlyName = friendlyName
        self.dateCreated = dateCreated
        self.dateUpdated = dateUpdated
    }
}
