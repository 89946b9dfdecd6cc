import PolicyStore
import Synchronization

/// The credentials the API accepts — each account's auth token and its API keys — shared
/// by the running authentication middleware and whoever reloads the configuration, so
/// that adding an account or rotating a token or key takes effect without a restart.
final class AccountCredentials: Sendable {
    private struct Table: Sendable {
        var tokens: [SID: [UInt8]]
        var keys: [SID: (account: SID, secret: [UInt8])]
        var operators: Set<SID> = []
    }

    private let table: Mutex<Table>

    init(_ accounts: [SID: String], apiKeys: [APIKey], operators: Set<SID> = []) {
        self.table = Mutex(Self.table(accounts, apiKeys, operators))
    }

    /// Whether `account` is an operator account (`accounts[].operator`): one that may
    /// manage what is global to the node, such as the flood bans.
    func isOperator(_ account: SID) -> Bool {
        table.withLock { $0.operators.contains(account) }
    }

    /// The account `user` (an Account SID or an API key SID) acts for, with the secret
    /// it must present: the account's auth token or the key's secret. `nil` when `user`
    /// is not configured.
    func credential(of user: String) -> (account: SID, secret: [UInt8])? {
        if let account = SID(user, kind: .account) {
            return table.withLock { $0.tokens[account] }.map { (account, $0) }
        }
        if let key = SID(user, kind: .apiKey) {
            return table.withLock { $0.keys[key] }
        }
        return nil
    }

    /// Replaces every account, token, key and operator at once.
    func replace(with accounts: [SID: String], apiKeys: [APIKey], operators: Set<SID>) {
        let updated = Self.table(accounts, apiKeys, operators)
        table.withLock { $0 = updated }
    }

    private static func table(_ accounts: [SID: String], _ apiKeys: [APIKey], _ operators: Set<SID>) -> Table {
        Table(
            tokens: accounts.mapValues { Array($0.utf8) },
            keys: Dictionary(
                apiKeys.map { ($0.sid, (account: $0.account, secret: Array($0.secret.utf8))) },
                uniquingKeysWith: { first, _ in first }),
            operators: operators)
    }
}
