import AccessControl
import Admission
import Logging
import SIPCore
import SIPEdge

/// Everything `sipfence run` needs, read from the YAML configuration file with
/// `SIPFENCE_*` environment overrides (see ``ConfigurationLoader``).
struct DaemonConfiguration: Sendable {
    /// An API account: the HTTP Basic credentials of one Twilio-style account.
    struct Account: Hashable, Sendable {
        var sid: String
        var authToken: String
        /// The account's API keys (`accounts[].api_keys`, or `SIPFENCE_API_KEYS`).
        var apiKeys: [APIKey] = []
        /// Whether the account may manage what is global to the node, such as the flood
        /// bans (`accounts[].operator`, or `SIPFENCE_OPERATORS`).
        var isOperator = false
    }

    /// An API key: HTTP Basic user `SK…` and its secret, acting for its account.
    struct APIKey: Hashable, Sendable {
        var sid: String
        var secret: String
    }

    /// The management API's listener and limits.
    struct API: Hashable, Sendable {
        var host: String
        var port: Int
        var maxBodyBytes: Int
    }

    /// How log lines are written.
    enum LogFormat: String, Hashable, Sendable, CaseIterable {
        /// One human-readable line per event.
        case text
        /// One JSON object per line, for log shippers.
        case json
    }

    var sip: SIPEdgeConfiguration
    /// The keys derived from `sip.secret`, when it is configured; otherwise the daemon
    /// uses the secret kept in the store (generated at the first start).
    var keyring: SIPKeyring?
    /// Whether `sip.secret` was configured.
    var secretConfigured: Bool { keyring != nil }

    /// Keeps the settings a reload cannot apply — the store, the API listener and the
    /// digest realm the API hashes new passwords for — as `running` has them, and returns
    /// the keys of those that the reloaded file changed (they take effect at the next
    /// start). A realm changed by reload alone would make the SIP path challenge with a
    /// realm no stored or newly written hash was made for.
    mutating func keepRestartOnlySettings(of running: DaemonConfiguration) -> [String] {
        var changed: [String] = []
        if store != running.store {
            changed.append("store.path / store.url")
            store = running.store
        }
        if api != running.api {
            changed.append("api.listen / api.max_body_bytes")
            api = running.api
        }
        if digestRealm != running.digestRealm {
            changed.append("sip.digest_realm")
            sip.digest.realm = running.digestRealm
        }
        return changed
    }

    /// Signs with `keyring` (the configured one, or the store's): every signed value,
    /// To-tags and branches as well as nonces, comes from this one keyring.
    ///
    /// - Throws: ``ConfigurationErrors`` when a key rotation's previous secret cannot
    ///   stand beside it (the same secret, or the same key id).
    mutating func sign(with keyring: SIPKeyring) throws(ConfigurationErrors) {
        if let conflict = sip.rotation?.conflict(with: keyring) {
            throw ConfigurationErrors(errors: [ConfigurationError(key: "sip.previous_secret", reason: conflict)])
        }
        sip.digest.keyring = keyring
    }
    /// `sip.digest_realm`: the one realm sipfence challenges with, for every domain, and
    /// the realm credentials' hashes are made for (changing it invalidates them).
    var digestRealm: String { sip.digest.realm }
    var api: API
    /// `store.path` or `store.url`: where the policy is kept.
    var store: StoreLocation
    /// `policy.min_prefix_length_ipv4` / `_ipv6`: the shortest entries a write may store.
    var prefixLengthMinimums: PrefixLengthMinimums
    var accounts: [Account]
    var logLevel: Logger.Level
    var logFormat: LogFormat
}
