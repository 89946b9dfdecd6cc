import AccessControl
import SIPCore

/// The digest-authentication rule: checks the `Proxy-Authorization` credentials a
/// request carries for sipfence's realm against a domain's credential set. Pure: the time
/// comes in as an input.
///
/// Nonces are stateless (see ``DigestNonce``): bound to the realm, the Call-ID and the
/// source address and valid for ``DigestSettings/nonceLifetime``. sipfence keeps no
/// nonce-count state, so within that lifetime the same credentials for the same Call-ID
/// from the same address are accepted again — which is what a retransmission looks like.
struct DigestRule: Sendable {
    let settings: DigestSettings
    /// A rotation in progress: its previous keys still verify nonces until it ends.
    var rotation: KeyRotation? = nil

    /// The verdict on `message` (method `method`) from `source` at `now` (seconds since the
    /// Unix epoch).
    func check(
        _ message: SIPMessage, method: String, credentials: DigestCredentialSet, source: IPAddress, now: UInt64
    ) -> DigestVerdict {
        let offered = message.proxyDigestCredentials(forRealm: settings.realm)
        guard !offered.isEmpty else { return .challenge(.noCredentials) }
        // Several credentials for our realm are unusual; the best verdict wins.
        var best: DigestVerdict?
        for candidate in offered {
            let verdict = check(candidate, message: message, method: method, credentials: credentials, source: source, now: now)
            switch (verdict, best) {
            case (.authenticated, _): return verdict
            case (.challenge, .some(.refused)), (_, nil): best = verdict
            default: break
            }
        }
        return best ?? .challenge(.noCredentials)
    }

    private func check(
        _ offered: SIPDigestCredentials, message: SIPMessage, method: String, credentials: DigestCredentialSet,
        source: IPAddress, now: UInt64
    ) -> DigestVerdict {
        let algorithm: DigestAlgorithm
        if let token = offered.algorithm {
            guard let named = DigestAlgorithm(token: token), settings.algorithms.contains(named) else {
                return .refused(.unsupportedAlgorithm)
            }
            algorithm = named
        } else {
            algorithm = .md5  // RFC 7616 §3.3: absent means MD5
        }
        let keyring = settings.keyring
        let previous = rotation.flatMap { $0.accepts(at: now) ? $0.previous : nil }
        let nonce = DigestNonce.verify(
            offered.nonce, now: now, lifetime: settings.nonceLifetime,
            keys: { id in
                if id == keyring.keyID { return keyring.nonceKey }
                return id == previous?.keyID ? previous?.nonceKey : nil
            },
            realm: settings.realm, callID: message.callID, source: source)
        if case .invalid = nonce { return .challenge(.invalidNonce) }
        guard let requestURI = message.requestURI, offered.uri == requestURI.text else {
            return .refused(.digestURIMismatch)
        }
        guard let credential = credentials.credential(for: offered.username), credential.realm == settings.realm,
            let ha1 = credential.ha1[algorithm]
        else { return .refused(.unknownUsername) }
        let qop: DigestQOP
        switch offered.qop?.lowercased() {
        case nil:
            qop = .rfc2069
        case "auth":
            guard let nc = offered.nc, let cnonce = offered.cnonce else { return .refused(.incompleteCredentials) }
            qop = .auth(nc: nc, cnonce: cnonce)
        default:
            return .refused(.unsupportedQOP)
        }
        let expected = algorithm.requestDigest(
            ha1: ha1, nonce: offered.nonce, method: method, digestURI: offered.uri, qop: qop)
        guard DigestAlgorithm.responsesMatch(expected: expected, received: offered.response) else {
            return .refused(.wrongCredentials)
        }
        if nonce == .stale { return .challenge(.staleNonce) }
        return .authenticated(username: offered.username, listID: credential.listID)
    }

    /// The challenges of a 407 for `message` from `source` at `now`: one per algorithm,
    /// with a nonce whose issue time is rounded to the nonce step, so that retransmissions
    /// get the same bytes.
    func challenges(for message: SIPMessage, source: IPAddress, now: UInt64, stale: Bool) -> [SIPDigestChallenge] {
        let keyring = settings.keyring
        let nonce = DigestNonce.mint(
            keyID: keyring.keyID, key: keyring.nonceKey,
            issued: DigestNonce.issueTime(now: now, step: settings.nonceStep), realm: settings.realm,
            callID: message.callID, source: source)
        return SIPDigestChallenge.challenges(
            realm: settings.realm, nonce: nonce, algorithms: settings.algorithms.map(\.rawValue), stale: stale)
    }
}
