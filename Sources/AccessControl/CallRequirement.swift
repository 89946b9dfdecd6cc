/// What a domain's rules ask of a call (a checked request other than CANCEL or REGISTER)
/// from a source, before any credentials are looked at: the IP rule and the domain's
/// credential lists, composed as an ``AuthenticationMode`` says.
public enum CallRequirement: Hashable, Sendable {
    /// Admit: the source lies in a mapped list and no credentials are required of it.
    case admit(AccessMatch)
    /// The caller must authenticate by digest; `match` is the list that admitted the
    /// source, when the IP rule passed too.
    case authenticate(AccessMatch?)
    /// Reject, for this reason: no credentials can change it.
    case reject(AccessRejection)
}

extension Policy.DomainRule {
    /// The requirement for a call from `source` under `mode`:
    ///
    /// - `all`: a domain with IP lists rejects sources outside them (without asking for
    ///   credentials); then, when credential lists are mapped for calls, the caller must
    ///   authenticate. A domain with neither kind mapped admits nothing.
    /// - `any`: a source inside an IP list is admitted; any other source must
    ///   authenticate when credential lists are mapped, else it is rejected.
    public func requirement(forCallFrom source: IPAddress, mode: AuthenticationMode) -> CallRequirement {
        let ip = decide(source: source)
        switch (ip, mode) {
        case (.admit(let match), _) where !authenticatesCalls:
            return .admit(match)
        case (.admit(let match), .any):
            return .admit(match)
        case (.admit(let match), .all):
            return .authenticate(match)
        case (.reject(let rejection), .all):
            return authenticatesCalls && lists.isEmpty ? .authenticate(nil) : .reject(rejection)
        case (.reject(let rejection), .any):
            return authenticatesCalls ? .authenticate(nil) : .reject(rejection)
        }
    }
}
