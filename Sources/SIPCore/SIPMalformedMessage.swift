/// A message sipfence refuses, with what is needed to tell the sender so.
///
/// RFC 3261 §8.2.6 answers a request by copying its Via, From, To, Call-ID and CSeq; a
/// request whose top Via parses (and which is not an ACK, which is never answered) can
/// be answered with `400 Bad Request` — or `505` for another SIP version — even when
/// other headers are broken. Anything else can only be dropped.
public struct SIPMalformedMessage: Error, Sendable {
    /// What was wrong.
    public let error: SIPParseError
    /// The request method, when the start line began with a method.
    public let method: String?
    /// The parts of the request a response is built from, when it can be answered.
    let reply: SIPReplyContext?
    /// The Call-ID, when the message has one and it is a single word — even when the
    /// message cannot be answered — so that logs and replay can name the call.
    public let callID: String?
    /// The host of the request's SIP Request-URI, when it is readable even though the
    /// message is not: the domain a refused INVITE was for.
    public let requestURIHost: String?

    /// Whether a response can be addressed to the sender.
    public var canBeAnswered: Bool { reply != nil }

    /// The top Via of an answerable request.
    public var topVia: SIPVia? { reply?.topVia }

    /// The status sipfence answers with: 505 for an unsupported SIP version, else 400.
    public var responseStatus: SIPStatus {
        if case .unsupportedVersion = error { return .versionNotSupported }
        return .badRequest
    }

    /// The response to send back, or `nil` when the message cannot be answered.
    ///
    /// - Parameters:
    ///   - status: the status to answer with; by default ``responseStatus``, with the
    ///     error in the reason phrase.
    ///   - receivedVia: the top Via stamped with the source address
    ///     (see ``SIPVia/stamped(sourceHost:sourcePort:sentByIsSource:)``).
    ///   - secret: the key that makes the To-tag deterministic.
    public func response(_ status: SIPStatus? = nil, receivedVia: SIPVia, secret: SIPStatelessSecret) -> [UInt8]? {
        guard let reply else { return nil }
        // The error text is ours, but parts of it may echo the message: the builder keeps
        // the reason phrase printable.
        let reason = status?.reasonPhrase ?? "\(responseStatus.reasonPhrase) (\(error.description))"
        let status = status ?? responseStatus
        return reply.response(
            status: status.code,
            reasonPhrase: reason,
            receivedVia: receivedVia,
            toTag: reply.toHasTag ? nil : reply.localTag(secret: secret)
        )
    }
}

extension SIPMalformedMessage: CustomStringConvertible {
    public var description: String { error.description }
}
