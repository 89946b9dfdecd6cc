/// The error codes the management API answers with.
///
/// Where Twilio documents a code for the case (authentication, not found, the SIP domain
/// validation codes, the page token) sipfence uses it. Twilio publishes no code for some
/// cases sipfence reports; for those the choice is sipfence's own and marked so:
/// parameter errors of lists, addresses, credentials and paging share one 21xxx code
/// (Twilio documents none for a refused credential password either), and HTTP-level
/// refusals follow Twilio's `20000 + status` pattern (20403, 20404, 20429, 20500, …).
public enum TwilioErrorCode: Int, Hashable, Sendable, CaseIterable {
    /// 401: no credentials, or wrong ones (Twilio's "Authentication Error").
    case authenticationFailed = 20003
    /// 405: the resource does not support the method (Twilio's "Method not allowed").
    case methodNotAllowed = 20004
    /// 403: the account may not use this resource — the node-wide bans need an operator
    /// account (`accounts[].operator`) (sipfence's choice: `20000 + status`).
    case forbidden = 20403
    /// 404: no such resource, or not the caller's (Twilio's "The requested resource … was
    /// not found").
    case notFound = 20404
    /// 413: request body too large (sipfence's choice: `20000 + status`).
    case bodyTooLarge = 20413
    /// 415: request body not form-encoded (sipfence's choice: `20000 + status`).
    case unsupportedMediaType = 20415
    /// 500: the server failed (Twilio's "Internal Server Error").
    case internalError = 20500
    /// 503: the store is unavailable (Twilio's "Service Unavailable").
    case serviceUnavailable = 20503
    /// 400: a domain parameter other than its name is missing or invalid, including a
    /// list (IP access control or credential) already mapped to the domain, or a mapping's
    /// list SID that names no list of the account (Twilio's "Domain Validation Error").
    case domainValidation = 21231
    /// 400: a domain name that is missing, invalid, or in use (Twilio's "Invalid Domain").
    case invalidDomain = 21232
    /// 400: a parameter of a list, an address, a credential list, a credential (a weak
    /// `Password`, a taken `Username`), paging or the check endpoint is missing or invalid
    /// (sipfence's choice; the message names the parameter).
    case invalidParameter = 21234
    /// 400: a `PageToken` the server did not issue (Twilio's "Invalid PageToken").
    case invalidPageToken = 21481

    /// The prefix of messages with this code ("Domain Validation Error: "), if Twilio's
    /// messages for it carry one.
    var title: String {
        switch self {
        case .domainValidation: "Domain Validation Error: "
        case .invalidDomain: "Invalid Domain: "
        default: ""
        }
    }
}
