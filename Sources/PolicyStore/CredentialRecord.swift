public import Foundation

/// One credential of a credential list: a username and the digest hashes of its password
/// (never the password itself).
public struct CredentialRecord: Hashable, Sendable, Identifiable {
    /// The longest username accepted, in Unicode scalars (Twilio: "up to 32 characters").
    public static let maximumUsernameLength = 32

    /// The credential's SID (`CR…`).
    public let sid: SID
    /// The account that owns the credential (and its list).
    public let accountSID: SID
    /// The list the credential belongs to; a credential belongs to exactly one list.
    public let listSID: SID
    /// The username a user agent answers a challenge with. Unique within its list.
    public let username: String
    /// The password's digest hashes and the realm they were made for.
    public var secret: CredentialSecret
    /// When the credential was created (whole seconds).
    public let dateCreated: Date
    /// When the credential was last changed (whole seconds).
    public let dateUpdated: Date

    /// The record's identity is its SID.
    public var id: SID { sid }

    /// A credential with the given values; the store makes these, tests may too.
    public init(
        sid: SID, accountSID: SID, listSID: SID, username: String, secret: CredentialSecret, dateCreated: Date,
        dateUpdated: Date
    ) {
        self.sid = sid
        self.accountSID = accountSID
        self.listSID = listSID
        self.username = username
        self.secret = secret
        self.dateCreated = dateCreated
        self.dateUpdated = dateUpdated
    }

    /// Throws unless `username` can be a credential's username: 1…32 Unicode scalars, none
    /// of them a control character, a double quote or a backslash (the username travels in
    /// the quoted string `username="…"` of a SIP `Authorization` header).
    ///
    /// - Throws: ``PolicyStoreError/invalidUsername(_:reason:)``.
    public static func checkUsername(_ username: String) throws(PolicyStoreError) {
        guard !username.isEmpty else { throw .invalidUsername(username, reason: "it is empty") }
        let length = username.unicodeScalars.count
        guard length <= maximumUsernameLength else {
            throw .invalidUsername(
                username, reason: "it has \(length) characters; at most \(maximumUsernameLength) are allowed")
        }
        guard !username.unicodeScalars.contains(where: isUnsafeInQuotedString) else {
            throw .invalidUsername(username, reason: "it contains a control character, a double quote or a backslash")
        }
    }

    /// Whether `scalar` cannot appear as itself in a quoted string of a SIP header.
    static func isUnsafeInQuotedString(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .control || scalar == "\"" || scalar == "\\"
    }
}
