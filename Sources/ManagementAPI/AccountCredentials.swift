import PolicyStore
import Synchronization

/// The accounts that may use the API and their auth tokens, shared by the running
/// authentication middleware and whoever reloads the configuration, so that adding an
/// account or rotating a token takes effect without a restart.
final class AccountCredentials: Sendable {
    private let tokens: Mutex<[SID: [UInt8]]>

    init(_ accounts: [SID: String]) {
        self.tokens = Mutex(accounts.mapValues { Array($0.utf8) })
    }

    /// The token of `account`, if it is configured.
    func token(of account: SID) -> [UInt8]? {
        tokens.withLock { $0[account] }
    }

    /// Replaces every account and token at once.
    func replace(with accounts: [SID: String]) {
        let updated = accounts.mapValues { Array($0.utf8) }
        tokens.withLock { $0 = updated }
    }
}
