/// What the pipeline did with a message, for metrics, logs and `sipfence replay`.
public enum AdmissionVerdict: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// A checked request (INVITE) from a permitted source, forwarded upstream.
    case admitted
    /// A checked request refused: source outside the domain's lists, or wrong digest
    /// credentials (403).
    case rejected
    /// A checked request answered with a digest challenge (407): the domain has
    /// credential lists mapped and the request carried no valid credentials.
    case challenged
    /// A checked request for a domain the policy does not know (403 or 404 as configured).
    case unknownDomain = "unknown_domain"
    /// Unparsable or invalid: answered with 400/505 when possible, else dropped.
    case malformed
    /// A request that came back unchanged through sipfence: answered with 482
    /// (RFC 3261 §16.3 item 4), or dropped for an ACK.
    case loopDetected = "loop_detected"
    /// Max-Forwards was 0: answered with 483.
    case tooManyHops = "too_many_hops"
    /// A request that is not checked (BYE, ACK, OPTIONS, …, or one from upstream), forwarded.
    case forwarded
    /// A response relayed to the next Via.
    case relayed
    /// The ACK of a response sipfence generated: absorbed, never forwarded.
    case absorbed
    /// Dropped without an answer (a response that is not ours, an unroutable request).
    case dropped

    public var description: String { rawValue }
}
