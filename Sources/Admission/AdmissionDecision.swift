public import AccessControl

/// The pipeline's answer for one message: what happened, why, and what to send.
public struct AdmissionDecision: Sendable {
    /// What kind of message it was.
    public enum MessageKind: Hashable, Sendable {
        /// A request (its method is ``AdmissionDecision/method``).
        case request
        /// A response (``AdmissionDecision/method`` is its CSeq method).
        case response
        /// Something that did not parse far enough to tell.
        case unknown
    }

    /// What kind of message it was.
    public var kind: MessageKind
    /// What happened.
    public var verdict: AdmissionVerdict
    /// Why, as a short stable label (`source_not_in_any_list`, `cseq_method_mismatch`, …).
    public var reason: String
    /// The request method, or `nil` for responses and unparsable messages.
    public var method: String?
    /// The status code of a response (relayed or dropped), or of the response sipfence sent.
    public var statusCode: Int?
    /// The Call-ID, when the message parsed.
    public var callID: String?
    /// The domain a checked request was for.
    public var domain: DomainName?
    /// The list and prefix that admitted a checked request.
    public var match: AccessMatch?
    /// The digest username that authenticated a checked request.
    public var username: String?
    /// The typed verdict of the domain's rules on a checked request (``reason`` is its
    /// label), or `nil` when the request was not checked.
    public var admission: DomainAdmission?
    /// The message to send, if any.
    public var outbound: SIPOutbound?

    /// A decision with a verdict and reason; the other fields default to empty.
    public init(
        kind: MessageKind = .unknown,
        verdict: AdmissionVerdict,
        reason: String,
        method: String? = nil,
        statusCode: Int? = nil,
        callID: String? = nil,
        domain: DomainName? = nil,
        match: AccessMatch? = nil,
        outbound: SIPOutbound? = nil
    ) {
        self.kind = kind
        self.verdict = verdict
        self.reason = reason
        self.method = method
        self.statusCode = statusCode
        self.callID = callID
        self.domain = domain
        self.match = match
        self.outbound = outbound
    }
}
