public import AccessControl
import SIPCore

/// sipfence's decision for one message: bytes, source and policy in, what to send out.
///
/// This is a pure function — no sockets, clocks or shared state — so the daemon, the
/// capture replay and the tests all run exactly this code:
///
/// - An out-of-dialog request of a checked method (every method by default; CANCEL with
///   INVITE; REGISTER by its own rule) is admitted when the Request-URI's domain's rules
///   admit its source (and digest credentials, where credential lists are mapped), and
///   forwarded upstream; otherwise it is answered with 403, 407, or the configured status
///   for unknown domains.
/// - An in-dialog request from a caller is forwarded with a valid dialog token (see
///   ``DialogToken``) or from a source inside some mapped list; otherwise 403.
/// - Dialog-creating requests are record-routed (twice when the sides differ, RFC 5658)
///   and a REGISTER gets a Path, with the dialog token in the callers' side URI.
/// - The ACK of a response sipfence generated is absorbed; a request that loops back
///   gets 482; Max-Forwards 0 gets 483; a malformed request gets 400 (505 for another SIP
///   version) when it can be answered, else it is dropped.
/// - Requests from the upstream are not checked: they go over the caller's flow named by
///   the token in sipfence's own Route, else to the next hop their Route or Request-URI
///   names (RFC 3261 §16.4–16.6).
/// - Responses are relayed to the next Via when the top Via is sipfence's own, else
///   dropped, so sipfence reflects nothing.
public struct AdmissionPipeline: Sendable {
    /// The settings, behind one reference: the pipeline is copied wherever it is held
    /// and passed (the edge's registry hands out a copy per datagram), and a copy of the
    /// settings themselves costs a retain for each of their strings, arrays and keys.
    private final class Storage: Sendable {
        let settings: AdmissionSettings

        init(_ settings: AdmissionSettings) {
            self.settings = settings
        }
    }

    private let storage: Storage

    /// The settings the pipeline applies.
    public var settings: AdmissionSettings { storage.settings }

    /// A pipeline applying `settings`.
    public init(settings: AdmissionSettings) {
        storage = Storage(settings)
    }

    /// Decides what to do with the message in `bytes` that arrived from `source` at
    /// `now` (seconds since the Unix epoch: the clock digest nonces are minted and checked
    /// against; it is an input so that replay and tests stay deterministic).
    public func decide(_ bytes: [UInt8], from source: SIPSource, policy: Policy, now: UInt64) -> AdmissionDecision {
        let message: SIPMessage
        do {
            message = try SIPMessage(parsing: bytes, framing: source.transport.isStream ? .stream : .datagram)
        } catch {
            return malformed(error, from: source)
        }
        if message.isRequest {
            return request(message, from: source, policy: policy, now: now)
        }
        return response(message, from: source, now: now)
    }

    /// Decides about a message that exceeded the size limit, given the front of it:
    /// answered with `513 Message Too Large` when the complete header lines in
    /// `headerPrefix` can address a response, else dropped.
    public func decideOversized(_ headerPrefix: [UInt8], from source: SIPSource) -> AdmissionDecision {
        var decision = AdmissionDecision(verdict: .malformed, reason: "message_too_large")
        // Whole header lines only, closed by an empty line; no body.
        var bytes = Array(headerPrefix.prefix(SIPStreamFraming.endOfLastLine(in: headerPrefix)))
        bytes.append(contentsOf: [UInt8(ascii: "\r"), UInt8(ascii: "\n")])
        do {
            let message = try SIPMessage(parsing: bytes, framing: .datagram)
            decision.method = message.method
            decision.callID = message.callID
            decision.kind = message.isRequest ? .request : .response
            guard message.isRequest else { return decision }
            return answer(message, .messageTooLarge, verdict: .malformed, reason: "message_too_large", decision, source)
        } catch {
            decision.method = error.method
            decision.kind = error.method != nil ? .request : .unknown
            if let via = error.topVia,
                let response = error.response(.messageTooLarge, receivedVia: stamp(via, from: source), secret: settings.secret)
            {
                decision.statusCode = SIPStatus.messageTooLarge.code
                decision.outbound = SIPOutbound(bytes: response, destination: replyDestination(for: via, from: source))
            }
            return decision
        }
    }

    // MARK: Malformed messages

    private func malformed(_ malformed: SIPMalformedMessage, from source: SIPSource) -> AdmissionDecision {
        var decision = AdmissionDecision(
            kind: malformed.method != nil ? .request : .unknown,
            verdict: .malformed,
            reason: malformed.error.reason,
            method: malformed.method
        )
        // Whatever is readable names the call, so that an operator can find it.
        decision.callID = malformed.callID
        decision.domain = malformed.requestURIHost.map { DomainName(normalizing: $0) }
        if let via = malformed.topVia,
            let response = malformed.response(receivedVia: stamp(via, from: source), secret: settings.secret)
        {
            decision.statusCode = malformed.responseStatus.code
            decision.outbound = SIPOutbound(bytes: response, destination: replyDestination(for: via, from: source))
        }
        return decision
    }

    // MARK: Requests

    private func request(_ message: SIPMessage, from source: SIPSource, policy: Policy, now: UInt64) -> AdmissionDecision {
        let method = message.method ?? ""
        var decision = AdmissionDecision(kind: .request, verdict: .forwarded, reason: "forwarded", method: method, callID: message.callID)
        let fromUpstream = isUpstream(source)

        if method == "ACK" && message.isAcknowledgingLocalResponse(secret: settings.secret, previous: settings.previousSecret(at: now)) {
            decision.verdict = .absorbed
            decision.reason = "ack_of_local_response"
            return decision
        }

        // The closure captures only the settings' interfaces: capturing `self` copied the
        // whole pipeline (a retain per setting) for every request.
        let interfaces = settings.interfaces
        let ownSentBy = { (via: SIPVia) in AdmissionSettings.isOwn(host: via.host, port: via.portOrDefault, among: interfaces) }
        if message.isLooping(secret: settings.secret, previous: settings.previousSecret(at: now), isOwnSentBy: ownSentBy) {
            return answer(message, .loopDetected, verdict: .loopDetected, reason: "loop_detected", decision, source)
        }

        // Read only for requests that get this far: refused INVITEs never need it.
        var route: RouteSet?
        var authenticatingRealm: String?
        if !fromUpstream && message.toTag != nil {
            // In a dialog: the Request-URI names a Contact, not a domain (§12.2.1.1).
            let dialogRoute = RouteSet(of: message, settings: settings)
            route = dialogRoute
            switch inDialogAdmission(of: message, route: dialogRoute, from: source, policy: policy, now: now) {
            case .token:
                decision.reason = "dialog_token"
            case .knownSource(let match):
                decision.reason = "in_dialog_source_in_list"
                decision.match = match
            case .refused(let reason):
                return answer(message, .forbidden, verdict: .rejected, reason: reason, decision, source)
            }
        } else if !fromUpstream && isChecked(method) {
            guard let uri = message.requestURI, uri.isSIP, let host = uri.host else {
                return answer(message, .unsupportedURIScheme, verdict: .rejected, reason: "unsupported_uri_scheme", decision, source)
            }
            let domain = DomainName(normalizing: host)
            decision.domain = domain
            guard let rule = policy.rule(for: domain) else {
                return answer(message, settings.unknownDomainStatus, verdict: .unknownDomain, reason: "unknown_domain", decision, source)
            }
            let admission = admission(of: message, method: method, rule: rule, source: source, now: now)
            decision.admission = admission
            switch admission {
            case .admit(let grant, let match, let username):
                decision.verdict = .admitted
                decision.reason = grant.rawValue
                decision.match = match
                decision.username = username
                if username != nil { authenticatingRealm = settings.digest.realm }
            case .challenge(let reason):
                decision.verdict = .challenged
                decision.reason = reason.rawValue
                let challenges = digestRule.challenges(for: message, source: source.address, now: now, stale: reason.isStale)
                decision.statusCode = SIPStatus.proxyAuthenticationRequired.code
                let response = message.proxyAuthenticationRequired(
                    challenges, receivedVia: stamp(message.topVia, from: source), secret: settings.secret)
                decision.outbound = SIPOutbound(bytes: response, destination: replyDestination(for: message.topVia, from: source))
                return decision
            case .reject(let rejection):
                return answer(message, .forbidden, verdict: .rejected, reason: rejection.description, decision, source)
            }
        }

        if message.maxForwards == 0 {
            return answer(message, .tooManyHops, verdict: .tooManyHops, reason: "max_forwards_exhausted", decision, source)
        }
        let forwardingRoute = route ?? RouteSet(of: message, settings: settings)
        if fromUpstream {
            return forwardFromUpstream(message, route: forwardingRoute, from: source, now: now, decision)
        }
        return forwardToUpstream(
            message, route: forwardingRoute, from: source, now: now, removingCredentialsFor: authenticatingRealm, decision)
    }

    /// Answers a request sipfence decided to forward but could not send (no socket of
    /// the next hop's family, a name that does not resolve, a connection that cannot be
    /// opened) with `503 Service Unavailable`, so that nothing admitted is lost silently.
    /// An ACK, which is never answered, and anything that is not a request get a decision
    /// without a message.
    public func serviceUnavailable(_ bytes: [UInt8], from source: SIPSource, reason: String) -> AdmissionDecision {
        let decision = AdmissionDecision(kind: .request, verdict: .dropped, reason: reason)
        guard let message = try? SIPMessage(parsing: bytes, framing: source.transport.isStream ? .stream : .datagram),
            message.isRequest
        else { return decision }
        var answered = answer(message, .serviceUnavailable, verdict: .dropped, reason: reason, decision, source)
        answered.method = message.method
        answered.callID = message.callID
        return answered
    }

    /// Answers `message` with `status` (never an ACK, which is dropped instead).
    func answer(
        _ message: SIPMessage,
        _ status: SIPStatus,
        verdict: AdmissionVerdict,
        reason: String,
        _ decision: consuming AdmissionDecision,
        _ source: SIPSource
    ) -> AdmissionDecision {
        decision.verdict = verdict
        decision.reason = reason
        guard message.method != "ACK" else { return decision }
        decision.statusCode = status.code
        let response = message.response(status, receivedVia: stamp(message.topVia, from: source), secret: settings.secret)
        decision.outbound = SIPOutbound(bytes: response, destination: replyDestination(for: message.topVia, from: source))
        return decision
    }

    // MARK: Responses

    private func response(_ message: SIPMessage, from source: SIPSource, now: UInt64) -> AdmissionDecision {
        var decision = AdmissionDecision(
            kind: .response,
            verdict: .dropped,
            reason: "not_our_via",
            method: message.cseq.method,
            statusCode: message.statusCode,
            callID: message.callID
        )
        let top = message.topVia
        let previous = settings.previousSecret(at: now)
        let ours = settings.interfaces.contains { interface in
            message.hasProxyTopVia(host: interface.advertisedHost, port: interface.port, secret: settings.secret, previous: previous)
        }
        guard ours else { return decision }
        let next = message.vias[1]
        let port: Int
        if case .filled(let rport) = next.responsePort { port = rport } else { port = next.portOrDefault }
        let flow = Self.flow(in: top)
        let destination: SIPDestination
        if flow.stream, let connection = flow.id {
            destination = .connection(connection)
        } else {
            let socket = flow.stream ? nil : flow.id
            destination = .address(next.knownTransport ?? .udp, host: next.received ?? next.host, port: port, socket: socket)
        }
        decision.verdict = .relayed
        decision.reason = "relayed"
        decision.outbound = SIPOutbound(bytes: message.removingTopVia(), destination: destination)
        return decision
    }

    // MARK: Helpers

    /// The Via parameter carrying the connection (`t<id>`) or UDP socket (`u<id>`) a
    /// request arrived on, so the stateless relay can send the response back the way the
    /// request came (RFC 3261 §18.2.2).
    static let flowParameter = "sf-flow"

    /// The flow named by our Via: whether it is a stream connection, and its identifier.
    static func flow(in via: SIPVia) -> (stream: Bool, id: SIPConnectionID?) {
        guard let value = via.parameters.first(named: flowParameter)?.value, let kind = value.first else { return (false, nil) }
        let id = UInt64(value.dropFirst(), radix: 16).map(SIPConnectionID.init)
        return (kind == "t", id)
    }

    /// Whether out-of-dialog requests of `method` are admitted by the domain's rules: the
    /// checked methods (`*` for all), CANCEL with INVITE, and REGISTER always (a domain
    /// accepts registrations only when it says so).
    private func isChecked(_ method: String) -> Bool {
        settings.checkedMethods.contains("*") || settings.checkedMethods.contains(method)
            || (method == "CANCEL" && settings.checkedMethods.contains("INVITE")) || method == "REGISTER"
    }

    /// Whether a message comes from the upstream: it arrived on a socket facing the
    /// upstream from the upstream's address — and, on a socket shared with callers, from
    /// its port too, so that a caller on the upstream's host cannot pass for it.
    func isUpstream(_ source: SIPSource) -> Bool {
        let side = settings.interface(source.interface)?.side ?? .both
        guard side.facesUpstream, source.address.canonical == settings.upstream.address.canonical else { return false }
        return side == .upstream || source.port == settings.upstream.port
    }

    /// The top Via stamped with the packet's source (RFC 3261 §18.2.1, RFC 3581).
    func stamp(_ via: SIPVia, from source: SIPSource) -> SIPVia {
        via.stamped(
            sourceHost: source.address.canonical.description, sourcePort: source.port,
            sentByIsSource: IPAddress(parsing: via.host).map { $0.canonical == source.address.canonical } ?? false)
    }

    /// Where a locally generated response goes (RFC 3261 §18.2.2, RFC 3581 §4): back over
    /// the request's connection on streams; on UDP to the source address, at the source
    /// port when `rport` was requested, else at the sent-by port.
    func replyDestination(for via: SIPVia, from source: SIPSource) -> SIPDestination {
        if source.transport.isStream, let connection = source.connection {
            return .connection(connection)
        }
        let port = via.responsePort == .absent ? via.portOrDefault : source.port
        return .address(source.transport, host: source.address.canonical.description, port: port, socket: source.connection)
    }
}
