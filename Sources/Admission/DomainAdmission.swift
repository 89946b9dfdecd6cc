public import AccessControl

/// What a domain's rules, composed, say of a checked request: the typed verdict behind an
/// ``AdmissionDecision``'s verdict and reason label.
public enum DomainAdmission: Hashable, Sendable {
    /// Forward it, for this reason; `match` is the IP rule's list and prefix, `username`
    /// the digest rule's, when they passed.
    case admit(AdmissionGrant, match: AccessMatch?, username: String?)
    /// Answer with a digest challenge (407).
    case challenge(DigestChallengeReason)
    /// Answer with 403.
    case reject(AdmissionRejection)
}

/// Why a checked request was admitted.
public enum AdmissionGrant: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// The source lies in a mapped IP access control list; no credentials were required.
    case sourceInList = "source_in_list"
    /// Valid digest credentials, from a source no IP list admits.
    case digestAuthenticated = "digest_authenticated"
    /// Both rules passed: the source is in a list and the credentials are valid.
    case sourceInListAndAuthenticated = "source_in_list_and_authenticated"
    /// A CANCEL for a domain whose calls are admitted by digest from anywhere: CANCEL
    /// cannot be challenged (RFC 3261 §22.1).
    case cancelOfAuthenticatedCall = "cancel_of_authenticated_call"

    public var description: String { rawValue }
}

/// Why a checked request was refused with 403.
public enum AdmissionRejection: Hashable, Sendable, CustomStringConvertible {
    /// The IP rule refused the source (outside every list, or no list mapped).
    case access(AccessRejection)
    /// The credentials can never pass.
    case digest(DigestRejection)
    /// A REGISTER to a domain whose `sip_registration` is off.
    case registrationNotEnabled
    /// A REGISTER to a domain that accepts registrations but has no credential list
    /// mapped for them, so nobody can register.
    case noRegistrationCredentials

    /// The stable label logs, metrics and replay show.
    public var description: String {
        switch self {
        case .access(let rejection): rejection.rawValue
        case .digest(let rejection): rejection.rawValue
        case .registrationNotEnabled: "registration_not_enabled"
        case .noRegistrationCredentials: "no_credential_list_mapped"
        }
    }
}
