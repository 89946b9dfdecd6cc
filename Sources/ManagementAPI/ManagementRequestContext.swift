public import Hummingbird
public import PolicyStore

/// The request context of the management API: Hummingbird's core storage plus what the
/// API's middleware establishes before a handler runs.
public struct ManagementRequestContext: RequestContext {
    /// Hummingbird's per-request storage (logger, route parameters).
    public var coreContext: CoreRequestContextStorage
    /// The account whose credentials the request carried; `nil` before authentication and
    /// on the unauthenticated routes (`/healthz`, `/metrics`).
    public internal(set) var authenticatedAccount: SID?
    /// Whether the authenticated account is an operator account (`accounts[].operator`).
    public internal(set) var isOperator: Bool
    /// The largest request body the API reads, in bytes; set from
    /// ``ManagementAPI/maximumBodySize`` for every request.
    public internal(set) var maxUploadSize: Int

    /// A context for a new request.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.authenticatedAccount = nil
        self.isOperator = false
        self.maxUploadSize = ManagementAPI.defaultMaximumBodySize
    }

    /// Decodes `application/x-www-form-urlencoded` bodies, as Twilio's API takes them.
    public var requestDecoder: FormRequestDecoder { FormRequestDecoder() }

    /// The authenticated account, which must be the path's `AccountSid`.
    ///
    /// - Throws: ``TwilioError`` 404 when the path names another account: Twilio answers a
    ///   request for another account's resources as if they did not exist, so sipfence
    ///   reveals nothing about other accounts either.
    func account(for request: Request) throws(TwilioError) -> SID {
        guard let account = authenticatedAccount,
            let pathAccount = parameters.get("accountSid").flatMap({ SID($0, kind: .account) }),
            pathAccount == account
        else { throw .notFound(request.uri.path) }
        return account
    }

    /// The path parameter `name` as a SID of `kind`; a malformed one names no resource.
    func sid(_ name: String, _ kind: SID.Kind, in request: Request) throws(TwilioError) -> SID {
        guard let text = parameters.get(name), let sid = SID(text, kind: kind) else {
            throw .notFound(request.uri.path)
        }
        return sid
    }
}
