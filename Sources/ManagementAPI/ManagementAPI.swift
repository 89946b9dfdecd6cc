public import AccessControl
public import Admission
public import Hummingbird
public import PolicyStore

/// sipfence's management API: Twilio's SIP Domain API (2010-04-01) over a
/// ``PolicyStore``, plus `/healthz`, `/sipfence/v1/check` and an optional `/metrics`.
///
/// The API owns no policy state of the daemon: it writes to the store (whose change
/// notifications the daemon uses to recompile) and asks `policy` for the live compiled
/// policy when it needs one.
///
/// ```swift
/// let api = try ManagementAPI(
///     store: store, accounts: [accountSID: authToken],
///     policy: { livePolicy.current }, metrics: { registry.render() })
/// let app = Application(router: api.buildRouter(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
/// ```
///
/// Routes, all under `/2010-04-01/Accounts/{AccountSid}/SIP/` and ending in `.json`:
/// `Domains` (list, create), `Domains/{Sid}` (fetch, update, delete),
/// `IpAccessControlLists` and `IpAccessControlLists/{Sid}` (the same),
/// `IpAccessControlLists/{AlSid}/IpAddresses` and `…/{Sid}` (the same),
/// `Domains/{SdSid}/IpAccessControlListMappings` and
/// `Domains/{SdSid}/Auth/Calls/IpAccessControlListMappings` (list, create) with `…/{AlSid}`
/// (fetch, delete), `CredentialLists` and `CredentialLists/{Sid}` (list, create, fetch,
/// update, delete), `CredentialLists/{ClSid}/Credentials` and `…/{Sid}` (the same), and
/// `Domains/{SdSid}/CredentialListMappings`,
/// `Domains/{SdSid}/Auth/Calls/CredentialListMappings` and
/// `Domains/{SdSid}/Auth/Registrations/CredentialListMappings` (list, create) with
/// `…/{ClSid}` (fetch, delete). Other methods on these paths get 405.
public struct ManagementAPI: Sendable {
    /// The default limit on request bodies: 64 KiB, far above any form the API takes.
    public static let defaultMaximumBodySize = 64 * 1024

    /// The store the API reads and writes.
    public let store: PolicyStore
    /// The accounts that may use the API, with their auth tokens (HTTP Basic user and
    /// password); see ``replaceAccounts(_:)``.
    let credentials: AccountCredentials
    /// The largest request body accepted, in bytes; larger ones get 413 without being read.
    public let maximumBodySize: Int
    /// The live compiled policy, answered by `/sipfence/v1/check` and `/healthz`.
    public let policy: @Sendable () -> Policy
    /// Renders the Prometheus text served at `/metrics`; without it there is no `/metrics`.
    public let metrics: (@Sendable () -> String)?
    /// The digest realm credentials' passwords are hashed for (`HA1` = `H(username ":"
    /// realm ":" password)`): the realm the daemon challenges with. Hashes made for one
    /// realm do not verify in another.
    public let digestRealm: String
    /// The node's flood limits, whose bans `/sipfence/v1/bans` lists and lifts for
    /// operator accounts; without it those routes answer 404.
    public let floodGuard: FloodGuard?
    /// How `/sipfence/v1/check` composes a domain's IP and digest rules (`sip.auth_mode`),
    /// as the SIP path does.
    public let authenticationMode: AuthenticationMode

    /// An API over `store` for `accounts` (Account SID → auth token) and their `apiKeys`;
    /// `operators` are the accounts that may manage the node's `floodGuard` bans.
    ///
    /// - Throws: ``ManagementAPIConfigurationError`` for a key that is not an account SID,
    ///   an empty auth token or key secret, an API key of an unconfigured account or
    ///   listed twice, a body limit below 1, or a digest realm that cannot be one.
    public init(
        store: PolicyStore,
        accounts: [SID: String],
        apiKeys: [APIKey] = [],
        operators: Set<SID> = [],
        floodGuard: FloodGuard? = nil,
        maximumBodySize: Int = defaultMaximumBodySize,
        digestRealm: String = "sipfence",
        authenticationMode: AuthenticationMode = .all,
        policy: @escaping @Sendable () -> Policy,
        metrics: (@Sendable () -> String)? = nil
    ) throws(ManagementAPIConfigurationError) {
        try Self.validate(accounts, apiKeys, operators)
        guard maximumBodySize > 0 else { throw .invalidMaximumBodySize(maximumBodySize) }
        do {
            try CredentialSecret.checkRealm(digestRealm)
        } catch {
            throw .invalidDigestRealm(digestRealm, reason: error.description)
        }
        self.digestRealm = digestRealm
        self.store = store
        self.credentials = AccountCredentials(accounts, apiKeys: apiKeys, operators: operators)
        self.floodGuard = floodGuard
        self.authenticationMode = authenticationMode
        self.maximumBodySize = maximumBodySize
        self.policy = policy
        self.metrics = metrics
    }

    /// Replaces the accounts, tokens and API keys the running API accepts (a
    /// configuration reload); routers already built use the new ones from the next
    /// request on.
    public func replaceAccounts(
        _ accounts: [SID: String], apiKeys: [APIKey] = [], operators: Set<SID> = []
    ) throws(ManagementAPIConfigurationError) {
        try Self.validate(accounts, apiKeys, operators)
        credentials.replace(with: accounts, apiKeys: apiKeys, operators: operators)
    }

    private static func validate(
        _ accounts: [SID: String], _ apiKeys: [APIKey], _ operators: Set<SID>
    ) throws(ManagementAPIConfigurationError) {
        for account in operators where accounts[account] == nil { throw .operatorNotAnAccount(account) }
        for (account, token) in accounts {
            guard account.kind == .account else { throw .notAnAccountSID(account) }
            guard !token.isEmpty else { throw .emptyAuthToken(account) }
        }
        var seen = Set<SID>()
        for key in apiKeys {
            guard key.sid.kind == .apiKey else { throw .notAnAPIKeySID(key.sid) }
            guard accounts[key.account] != nil else { throw .apiKeyOfUnknownAccount(key.sid, account: key.account) }
            guard !key.secret.isEmpty else { throw .emptyAuthToken(key.sid) }
            guard seen.insert(key.sid).inserted else { throw .apiKeyListedTwice(key.sid) }
        }
    }

    /// A router serving every route of the API, with its error handling, body limit and
    /// authentication.
    public func buildRouter() -> Router<ManagementRequestContext> {
        let router = Router(context: ManagementRequestContext.self)
        var publicPaths: Set<String> = [Self.healthPath]
        if metrics != nil { publicPaths.insert(Self.metricsPath) }
        router.add(middleware: TwilioErrorMiddleware())
        router.add(middleware: BodyLimitMiddleware(maximumBodySize: maximumBodySize))
        router.add(middleware: BasicAuthenticationMiddleware(credentials: credentials, publicPaths: publicPaths))
        let routes = RouteTable(router: router)
        addDomainRoutes(to: routes)
        addListRoutes(to: routes)
        addAddressRoutes(to: routes)
        addMappingRoutes(to: routes)
        addCredentialListRoutes(to: routes)
        addCredentialRoutes(to: routes)
        addCredentialMappingRoutes(to: routes)
        addServiceRoutes(to: routes)
        addBanRoutes(to: routes)
        return router
    }

    /// An HTTP/1.1 application serving ``buildRouter()`` as `configuration` says (bind
    /// address, server name). To learn the bound port or use your own logger, build the
    /// `Application` from ``buildRouter()`` instead.
    public func buildApplication(
        configuration: ApplicationConfiguration
    ) -> Application<RouterResponder<ManagementRequestContext>> {
        Application(router: buildRouter(), configuration: configuration)
    }
}

/// Why a ``ManagementAPI`` cannot be configured as asked.
public enum ManagementAPIConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// An account key is a SID of another kind.
    case notAnAccountSID(SID)
    /// An account has an empty auth token, or an API key an empty secret, which would
    /// let anyone in.
    case emptyAuthToken(SID)
    /// An API key's SID is not an `SK…` SID.
    case notAnAPIKeySID(SID)
    /// An API key names an account that is not configured.
    case apiKeyOfUnknownAccount(SID, account: SID)
    /// The same API key SID is configured twice.
    case apiKeyListedTwice(SID)
    /// An operator is not one of the configured accounts.
    case operatorNotAnAccount(SID)
    /// The body limit is not a positive number of bytes.
    case invalidMaximumBodySize(Int)
    /// The digest realm is empty, too long, or holds characters a quoted string cannot.
    case invalidDigestRealm(String, reason: String)

    public var description: String {
        switch self {
        case .notAnAccountSID(let sid): "\(sid) is not an account SID (AC…)"
        case .emptyAuthToken(let sid): "\(sid) has an empty auth token or secret"
        case .notAnAPIKeySID(let sid): "\(sid) is not an API key SID (SK…)"
        case .apiKeyOfUnknownAccount(let key, let account):
            "the API key \(key) acts for \(account), which is not a configured account"
        case .apiKeyListedTwice(let key): "the API key \(key) is listed twice"
        case .operatorNotAnAccount(let sid): "the operator \(sid) is not a configured account"
        case .invalidMaximumBodySize(let size): "the maximum body size must be at least 1 byte, not \(size)"
        case .invalidDigestRealm(let realm, let reason):
            "the digest realm \(String(reflecting: realm)) is unusable: \(reason)"
        }
    }
}
