extension SIPMessage {
    /// The branch for the Via a stateless proxy adds when forwarding this request
    /// (RFC 3261 §16.11): derived from the request alone, so a retransmission is
    /// forwarded identically, and a CANCEL or the ACK of a non-2xx response gets the
    /// branch of the INVITE it belongs to.
    ///
    /// The branch ends in a loop-detection part (RFC 3261 §16.6 item 8), see
    /// ``loopDetectionPart(secret:)``.
    public func statelessBranch(secret: SIPStatelessSecret) -> String {
        transactionBranch(secret: secret) + SIPStatelessSecret.loopSeparator + loopDetectionPart(secret: secret)
    }

    /// The part of ``statelessBranch(secret:)`` that identifies the transaction.
    func transactionBranch(secret: SIPStatelessSecret) -> String {
        let via = topVia
        if via.hasMagicCookie, let clientBranch = via.branch {
            return secret.verifiableBranch(clientBranch: clientBranch, sentBy: via.sentBy, callID: callID, cseqNumber: cseq.number)
        }
        return secret.legacyBranch(
            via: via,
            fromTag: fromTag ?? "",
            callID: callID,
            cseqNumber: cseq.number,
            requestURI: requestURI?.text ?? ""
        )
    }

    /// The loop-detection part of the branch sipfence gives this request (RFC 3261
    /// §16.6 item 8): a keyed hash of the From-tag, Call-ID, Request-URI and CSeq number,
    /// 16 hexadecimal digits. A request that comes back with these unchanged is a loop; a
    /// spiral changes the Request-URI.
    ///
    /// §16.6 also names the To-tag, Proxy-Require and Proxy-Authorization, but a
    /// stateless proxy must give an INVITE's CANCEL and the ACK of its non-2xx response
    /// the INVITE's own branch (§16.11), and those do not share them: the ACK carries the
    /// To-tag the response added, a CANCEL carries no Proxy-Require (§9.1) and no
    /// credentials. So the part hashes only what the three have in common.
    public func loopDetectionPart(secret: SIPStatelessSecret) -> String {
        secret.loopDetectionPart(
            fromTag: fromTag ?? "", callID: callID, requestURI: requestURI?.text ?? "", cseqNumber: cseq.number)
    }

    /// Whether this request is coming back to a proxy that forwarded it before
    /// unchanged — a loop, answered with `482 Loop Detected` (RFC 3261 §16.3 item 4) —
    /// judged from a Via the proxy wrote (`isOwnSentBy` says which sent-by values are its
    /// own) whose branch's loop-detection part equals this request's. A spiral, whose
    /// Request-URI changed, is not a loop.
    public func isLooping(
        secret: SIPStatelessSecret, previous: SIPStatelessSecret? = nil, isOwnSentBy: (SIPVia) -> Bool
    ) -> Bool {
        var parts: [String] = []
        for via in vias {
            guard let branch = via.branch, branch.hasPrefix(SIPStatelessSecret.verifiableBranchPrefix)
                || branch.hasPrefix(SIPStatelessSecret.legacyBranchPrefix),
                let separator = branch.lastIndex(of: Character(SIPStatelessSecret.loopSeparator)), isOwnSentBy(via)
            else { continue }
            if parts.isEmpty {
                parts = [secret, previous].compactMap { $0.map(loopDetectionPart(secret:)) }
            }
            if parts.contains(String(branch[branch.index(after: separator)...])) { return true }
        }
        return false
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
            if branch == expected || branch.hasPrefix(expected + SIPStatelessSecret.loopSeparator) { return true }
        }
        return false
    }
}
