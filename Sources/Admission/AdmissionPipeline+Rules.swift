import AccessControl
import SIPCore

extension AdmissionPipeline {
    /// Composes the domain's rules — its IP access control lists and, when credential
    /// lists are mapped, digest authentication — as ``DigestSettings/mode`` says (see
    /// `Policy.DomainRule.requirement(forCallFrom:mode:)`, which `/sipfence/v1/check`
    /// answers from too).
    ///
    /// CANCEL is never challenged (RFC 3261 §22.1: it cannot be resubmitted): it passes
    /// when the IP rule admits its source, or when the domain authenticates calls and so
    /// its INVITE may have come from anywhere. ACK never reaches this point. REGISTER is
    /// refused unless the domain accepts registrations, and is then checked against the
    /// registration credential lists only.
    func admission(
        of message: SIPMessage, method: String, rule: Policy.DomainRule, source: SIPSource, now: UInt64
    ) -> DomainAdmission {
        if method == "REGISTER" {
            guard rule.acceptsRegistrations else { return .reject(.registrationNotEnabled) }
            guard !rule.registrationCredentials.isEmpty else { return .reject(.noRegistrationCredentials) }
            return Self.admission(
                digestRule.check(
                    message, method: method, credentials: rule.registrationCredentials, source: source.address, now: now),
                match: nil)
        }

        let requirement = rule.requirement(forCallFrom: source.address, mode: settings.digest.mode)
        if method == "CANCEL" {
            switch requirement {
            case .admit(let match), .authenticate(let match?):
                return .admit(.sourceInList, match: match, username: nil)
            case .authenticate(nil):
                return .admit(.cancelOfAuthenticatedCall, match: nil, username: nil)
            case .reject(let rejection):
                return .reject(.access(rejection))
            }
        }
        switch requirement {
        case .admit(let match):
            return .admit(.sourceInList, match: match, username: nil)
        case .reject(let rejection):
            return .reject(.access(rejection))
        case .authenticate(let match):
            return Self.admission(
                digestRule.check(message, method: method, credentials: rule.callCredentials, source: source.address, now: now),
                match: match)
        }
    }

    /// The digest rule under these settings; made only for requests that need it, so
    /// IP-only domains pay nothing for it.
    var digestRule: DigestRule {
        DigestRule(settings: settings.digest, rotation: settings.rotation)
    }

    private static func admission(_ verdict: DigestVerdict, match: AccessMatch?) -> DomainAdmission {
        switch verdict {
        case .authenticated(let username, _):
            .admit(match == nil ? .digestAuthenticated : .sourceInListAndAuthenticated, match: match, username: username)
        case .challenge(let reason): .challenge(reason)
        case .refused(let rejection): .reject(.digest(rejection))
        }
    }
}
