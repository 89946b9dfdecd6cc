public import AccessControl

extension AdmissionPipeline {
    /// How the flood limits treat `source`: the upstream (by address, on any port: it is
    /// the operator's own proxy) is never limited; a source inside some list mapped to
    /// any domain is known; everyone else is unknown.
    public func floodStanding(of source: SIPSource, policy: Policy) -> SourceStanding {
        if source.address.canonical == settings.upstream.address.canonical { return .upstream }
        return policy.knownSourceMatch(source.address) != nil ? .known : .unknown
    }

    /// Judges a message from `source` against the flood limits before it is parsed; the
    /// daemon and `sipfence replay` both call this, so they drop the same messages.
    public func screen(_ source: SIPSource, policy: Policy, limits: FloodGuard, at now: Double) -> FloodVerdict {
        limits.screen(source.address, transport: source.transport, standing: floodStanding(of: source, policy: policy), at: now)
    }

    /// Counts what a decision says about its source against the flood limits: a failed
    /// digest authentication counts towards a ban.
    ///
    /// - Returns: the ban it started, if any.
    public func recordOutcome(_ decision: AdmissionDecision, from source: SIPSource, policy: Policy, limits: FloodGuard, at now: Double)
        -> FloodBan?
    {
        guard decision.isDigestFailure else { return nil }
        return limits.recordDigestFailure(
            from: source.address, transport: source.transport, standing: floodStanding(of: source, policy: policy), at: now)
    }
}

extension AdmissionDecision {
    /// Whether the request was refused for credentials that name no user on the lists or
    /// carry a wrong password: what password guessing and user enumeration produce.
    public var isDigestFailure: Bool {
        switch admission {
        case .reject(.digest(.wrongCredentials)), .reject(.digest(.unknownUsername)): true
        default: false
        }
    }
}
