public import PolicyStore

/// A Twilio API key: HTTP Basic credentials (`SK…` and its secret) that act for one
/// account, as Twilio accepts them besides the Account SID and auth token. Keys let an
/// operator hand out and rotate credentials per tool without sharing the auth token.
public struct APIKey: Hashable, Sendable {
    /// The key's SID (`SK…`): the HTTP Basic user.
    public let sid: SID
    /// The account the key acts for; it reaches that account's records only.
    public let account: SID
    /// The key's secret: the HTTP Basic password.
    public let secret: String

    /// A key `sid` with `secret` for `account`.
    public init(sid: SID, account: SID, secret: String) {
        self.sid = sid
        self.account = account
        self.secret = secret
    }
}
