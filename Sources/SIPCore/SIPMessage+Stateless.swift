extension SIPMessage {
    /// The branch for the Via a stateless proxy adds when forwarding this request
    /// (RFC 3261 §16.11): derived from the request alone, so a retransmission is
    /// forwarded identically, and a CANCEL or the ACK of a non-2xx response gets the
    /// branch of the INVITE it belongs to.
    public func statelessBranch(secret: SIPStatelessSecret) -> String {
        let via = topVia
        if via.hasMagicCookie, let clientBranch = via.branch {
            return secret.verifiableBranch(clientBranch: clientBranch, sentBy: via.sentBy, callID: callID, cseqNumber: cseq.number)
        }
        return secret.legacyBranch(
            via: via,
            fromTag: from.tag ?? "",
            callID: callID,
            cseqNumber: cseq.number,
            requestURI: requestURI?.text ?? ""
        )
    }

    /// Whether this response's top Via is one this proxy added when it forwarded the
    /// request: its sent-by is the proxy's and its branch is one ``statelessBranch(secret:)``
    /// produced — for requests from RFC 3261 clients, recomputed from the Via below it,
    /// so forged responses are not relayed (no reflection).
    ///
    /// `previous`, during a key rotation, is the secret that is still accepted: a
    /// transaction forwarded just before the rotation gets its responses relayed.
    public func hasProxyTopVia(
        host: String, port: Int, secret: SIPStatelessSecret, previous: SIPStatelessSecret? = nil
    ) -> Bool {
        guard vias.count >= 2, let branch = topVia.branch else { return false }
        let top = topVia
        guard top.host.lowercased() == host.lowercased(), top.portOrDefault == port else { return false }
        if branch.hasPrefix(SIPStatelessSecret.legacyBranchPrefix) {
            return !vias[1].hasMagicCookie
        }
        let client = vias[1]
        guard client.hasMagicCookie, let clientBranch = client.branch else { return false }
        for candidate in [secret, previous] {
            guard let candidate else { continue }
            let expected = candidate.verifiableBranch(
                clientBranch: clientBranch, sentBy: client.sentBy, callID: callID, cseqNumber: cseq.number)
            if branch == expected { return true }
        }
        return false
    }
}
