/// The parts of a request that a locally generated response copies (RFC 3261 §8.2.6.2):
/// every Via, From, To, Call-ID and CSeq, as received.
struct SIPReplyContext: Sendable {
    let bytes: [UInt8]
    /// Every header field of the request, in order; the Via fields are copied from it.
    /// (The message's own array: keeping a separate array of the Via fields cost an
    /// allocation per message.)
    let fields: [SIPHeaderField]
    let topVia: SIPVia
    let topViaRange: Range<Int>
    let from: SIPHeaderField?
    let to: SIPHeaderField?
    let callID: SIPHeaderField?
    let cseq: SIPHeaderField?
    /// The From tag of a valid request (`""` when it has none); `nil` for a malformed one,
    /// whose raw From value is hashed instead.
    var fromTag: String? = nil

    /// Whether the To header already carries a tag (an in-dialog request).
    var toHasTag: Bool {
        guard let to else { return false }
        return bytes.hasParameter("tag", in: to.valueRange)
    }

    /// The deterministic To-tag sipfence gives its responses to this request: a keyed hash
    /// of Call-ID, From and top-Via branch, so that retransmissions get identical answers.
    func localTag(secret: SIPStatelessSecret) -> String {
        let callID = callID.map { bytes[$0.valueRange] } ?? []
        let branch = (topVia.branch ?? "").utf8
        if let fromTag {
            return secret.localTag(callID: callID, from: fromTag.utf8, branch: branch)
        }
        return secret.localTag(callID: callID, from: from.map { bytes[$0.valueRange] } ?? [], branch: branch)
    }

    /// Whether `tag` is ``localTag(secret:)``, compared without making it.
    func isLocalTag(_ tag: String, secret: SIPStatelessSecret) -> Bool {
        let callID = callID.map { bytes[$0.valueRange] } ?? []
        let branch = (topVia.branch ?? "").utf8
        if let fromTag {
            return secret.isLocalTag(tag, callID: callID, from: fromTag.utf8, branch: branch)
        }
        return secret.isLocalTag(tag, callID: callID, from: from.map { bytes[$0.valueRange] } ?? [], branch: branch)
    }

    /// The response bytes.
    ///
    /// - Parameters:
    ///   - receivedVia: the top Via with `received`/`rport` stamped; the other Via values
    ///     are copied as received, in order.
    ///   - toTag: the tag to add to To, or `nil` to copy To unchanged.
    ///   - headers: header fields sipfence adds, in order, after CSeq (such as the
    ///     `Proxy-Authenticate` challenges of a 407); values must already be well formed.
    func response(
        status: Int,
        reasonPhrase: String,
        receivedVia: SIPVia,
        toTag: String?,
        headers: [(name: SIPHeaderName, value: String)] = []
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(capacity(reasonPhrase: reasonPhrase, receivedVia: receivedVia, headers: headers))
        out.append("SIP/2.0 ")
        out.append(String(status))
        out.append(.space)
        for byte in reasonPhrase.utf8 { out.append(byte < 0x20 || byte == 0x7F ? UInt8(ascii: "?") : byte) }
        out.appendCRLF()
        var isTopVia = true
        for field in fields where field.name == .via {
            out.append("Via: ")
            if isTopVia {
                isTopVia = false
                receivedVia.append(to: &out)
                out.append(contentsOf: bytes[topViaRange.upperBound..<field.valueRange.upperBound])
            } else {
                out.append(contentsOf: bytes[field.valueRange])
            }
            out.appendCRLF()
        }
        if let from { out.appendHeader("From", bytes[from.valueRange]) }
        if let to {
            out.append("To: ")
            out.append(contentsOf: bytes[to.valueRange])
            if let toTag {
                out.append(";tag=")
                out.append(toTag)
            }
            out.appendCRLF()
        }
        if let callID { out.appendHeader("Call-ID", bytes[callID.valueRange]) }
        if let cseq { out.appendHeader("CSeq", bytes[cseq.valueRange]) }
        for header in headers {
            out.append(header.name.canonicalName)
            out.append(": ")
            out.append(header.value)
            out.appendCRLF()
        }
        out.append("Content-Length: 0\r\n\r\n")
        return out
    }

    /// An upper bound of the size of ``response(status:reasonPhrase:receivedVia:toTag:headers:)``'s
    /// bytes, so that they are written into one allocation: the copied values, the
    /// stamped top Via (at most its received form plus `received` and `rport` with an
    /// IPv6 address and a port), header names, the To-tag and the fixed text.
    private func capacity(
        reasonPhrase: String, receivedVia: SIPVia, headers: [(name: SIPHeaderName, value: String)]
    ) -> Int {
        var size = 64 + reasonPhrase.utf8.count + (topViaRange.count + 80)
        for field in fields {
            switch field.name {
            case .via, .from, .to, .callID, .cseq: size += field.valueRange.count + 16
            default: break
            }
        }
        size += 32 + receivedVia.parameters.count * 2  // the To-tag; parameter separators
        for header in headers { size += header.name.canonicalName.utf8.count + header.value.utf8.count + 4 }
        return size
    }
}

extension SIPMessage {
    /// A response to this request, built per RFC 3261 §8.2.6: Via values in order (the
    /// top one stamped with the source, RFC 3581), From, To (with a tag added when it has
    /// none), Call-ID, CSeq and `Content-Length: 0`.
    ///
    /// The To-tag is deterministic (see ``SIPStatelessSecret``), so a retransmitted request
    /// gets a byte-identical response and the ACK for it can be recognised with
    /// ``isAcknowledgingLocalResponse(secret:)``.
    public func response(_ status: SIPStatus, receivedVia: SIPVia, secret: SIPStatelessSecret) -> [UInt8] {
        response(status, receivedVia: receivedVia, secret: secret, headers: [])
    }

    /// A `407 Proxy Authentication Required` to this request (RFC 3261 §22.3), built
    /// exactly like ``response(_:receivedVia:secret:)`` — same Via stamping and
    /// deterministic To-tag, so a retransmitted request with the same challenges gets a
    /// byte-identical 407 and its ACK is recognised by
    /// ``isAcknowledgingLocalResponse(secret:)`` — with one `Proxy-Authenticate` field
    /// per challenge, in the order given, after CSeq.
    public func proxyAuthenticationRequired(
        _ challenges: [SIPDigestChallenge],
        receivedVia: SIPVia,
        secret: SIPStatelessSecret
    ) -> [UInt8] {
        response(
            .proxyAuthenticationRequired,
            receivedVia: receivedVia,
            secret: secret,
            headers: challenges.map { (.proxyAuthenticate, $0.headerValue) }
        )
    }

    /// The response builder behind every locally generated response to a valid request.
    func response(
        _ status: SIPStatus,
        receivedVia: SIPVia,
        secret: SIPStatelessSecret,
        headers: [(name: SIPHeaderName, value: String)]
    ) -> [UInt8] {
        let context = replyContext
        return context.response(
            status: status.code,
            reasonPhrase: status.reasonPhrase,
            receivedVia: receivedVia,
            toTag: toTag == nil ? context.localTag(secret: secret) : nil,
            headers: headers
        )
    }

    /// Whether this is an ACK for a final response sipfence generated itself: its To-tag
    /// is the one ``response(_:receivedVia:secret:)`` gave the INVITE it acknowledges,
    /// under `secret` or, during a key rotation, the `previous` one.
    public func isAcknowledgingLocalResponse(secret: SIPStatelessSecret, previous: SIPStatelessSecret? = nil) -> Bool {
        guard method == "ACK", let tag = toTag else { return false }
        let context = replyContext
        if context.isLocalTag(tag, secret: secret) { return true }
        guard let previous else { return false }
        return context.isLocalTag(tag, secret: previous)
    }
}

extension Array where Element == UInt8 {
    /// Appends `Name: value CRLF`.
    mutating func appendHeader(_ name: String, _ value: ArraySlice<UInt8>) {
        append(name)
        append(": ")
        append(contentsOf: value)
        appendCRLF()
    }

    /// Whether the header value in `range` has a `;name=` header parameter (outside
    /// quotes and angle brackets).
    func hasParameter(_ name: String, in range: Range<Int>) -> Bool {
        var found = false
        forEachSeparatorPosition(in: range) { index in
            guard self[index] == .semicolon else { return true }
            var start = index + 1
            while start < range.upperBound, self[start].isWhitespace { start += 1 }
            var end = start
            while end < range.upperBound, self[end].isTokenCharacter { end += 1 }
            found = self[start..<end].equalsCaseInsensitive(name)
            return !found
        }
        return found
    }
}
