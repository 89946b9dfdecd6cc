public import AccessControl
public import Foundation

/// One entry of an IP access control list: an address or network, IPv4 or IPv6.
///
/// The prefix is kept normalised (host bits cleared), which is what it means for access
/// control; Twilio's `ip_address` and `cidr_prefix_length` are its network and length.
public struct IPAddressRecord: Hashable, Sendable, Identifiable {
    /// The entry's SID (`IP…`).
    public let sid: SID
    /// The account that owns the entry (and its list).
    public let accountSID: SID
    /// The list the entry belongs to; an entry belongs to exactly one list.
    public let listSID: SID
    /// The operator's name for the entry (up to 255 characters).
    public var friendlyName: String
    /// The addresses the entry admits. Unique within its list.
    public var prefix: IPPrefix
    /// When the entry was created (whole seconds).
    public let dateCreated: Date
    /// When the entry was last changed (whole seconds).
    public let dateUpdated: Date

    /// The record's identity is its SID.
    public var id: SID { sid }

    /// An entry with the given values; the store makes these, tests may too.
    public init(
        sid: SID, accountSID: SID, listSID: SID, friendlyName: String, prefix: IPPrefix, dateCreated: Date,
        dateUpdated: Date
    ) {
        self.sid = sid
        self.accountSID = accountSID
        self.listSID = listSID
        self.friendlyName = friendlyName
        self.prefix = prefix
        self.dateCreated = dateCreated
        self.dateUpdated = dateUpdated
    }
}
