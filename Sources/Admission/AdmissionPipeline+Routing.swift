import AccessControl
import SIPCore

/// What a request's route set says about sipfence (RFC 3261 §16.4): how many of its first
/// Route values name sipfence, whether the Request-URI is one of sipfence's own
/// Record-Route URIs (the previous hop is a strict router), and every dialog token found
/// in sipfence's own URIs.
struct RouteSet {
    /// How many of the first Route values name sipfence: removed when forwarding.
    var leadingOwnRoutes = 0
    /// Whether the Request-URI is sipfence's own Record-Route URI: it is then replaced by
    /// the last Route value.
    var strictRouting = false
    /// The `sft` parameters of sipfence's own URIs, in the order found.
    var tokens: [String] = []

    init(of message: SIPMessage, settings: AdmissionSettings) {
        func isOwn(_ uri: SIPURI) -> Bool {
            guard uri.isSIP, let host = uri.host else { return false }
            return settings.isOwn(host: host, port: uri.port ?? (uri.transport ?? .udp).defaultPort)
        }
        var leading = true
        for route in message.routes {
            guard isOwn(route.uri) else {
                leading = false
                continue
            }
            if leading { leadingOwnRoutes += 1 }
            if let token = route.uri.parameters.first(named: DialogToken.parameterName)?.value { tokens.append(token) }
        }
        // Our Record-Route URIs have no user part and carry `lr`; a Request-URI naming
        // sipfence's address with a user (a caller dialling the edge's IP) is not one.
        if let uri = message.requestURI, uri.user == nil, uri.isLooseRouter, isOwn(uri), !message.routes.isEmpty {
            strictRouting = true
            if let token = uri.parameters.first(named: DialogToken.parameterName)?.value { tokens.append(token) }
        }
    }
}

/// How an in-dialog request from the callers' side is admitted.
enum InDialogAdmission {
    /// A valid dialog token from the flow's address.
    case token(DialogToken)
    /// No valid token, but the source lies in some mapped list.
    case knownSource(AccessMatch)
    /// Neither: refused, with the reason label.
    case refused(String)
}

extension AdmissionPipeline {
    /// Methods whose out-of-dialog requests create a dialog, and so are record-routed:
    /// INVITE (RFC 3261), SUBSCRIBE and NOTIFY (RFC 6665), REFER (RFC 3515).
    static let dialogCreatingMethods: Set<String> = ["INVITE", "SUBSCRIBE", "NOTIFY", "REFER"]

    /// Admits an in-dialog request (To-tag present) from the callers' side: by a dialog
    /// token that verifies for this dialog, is not expired and names the request's source
    /// address; else by a source inside some mapped list; else refused.
    func inDialogAdmission(
        of message: SIPMessage, route: RouteSet, from source: SIPSource, policy: Policy, now: UInt64
    ) -> InDialogAdmission {
        var refusal = "in_dialog_no_token"
        let tags = [message.fromTag, message.toTag].compactMap { $0 }
        for text in route.tokens {
            do {
                let token = try DialogToken(
                    verifying: text, callID: message.callID, tags: tags, keys: { settings.keyring(for: $0, at: now) })
                if token.hasExpired(at: now, maximumAge: settings.dialogTokenMaxAge) {
                    refusal = "dialog_token_expired"
                } else if token.flow.remoteAddress != source.address.canonical {
                    refusal = "dialog_token_other_source"
                } else {
                    return .token(token)
                }
            } catch {
                refusal = "dialog_token_invalid"
            }
        }
        if let match = policy.knownSourceMatch(source.address) {
            return .knownSource(match)
        }
        return .refused(refusal)
    }

    /// Forwards a request from the callers' side to the upstream, from a socket facing
    /// it, record-routing a dialog-creating request and adding a Path to a REGISTER.
    func forwardToUpstream(
        _ message: SIPMessage, route: RouteSet, from source: SIPSource, now: UInt64, removingCredentialsFor realm: String?,
        _ decision: AdmissionDecision
    ) -> AdmissionDecision {
        var decision = decision
        let upstream = settings.upstream
        guard let outgoing = settings.upstreamInterface else {
            return answer(message, .serviceUnavailable, verdict: .dropped, reason: "no_upstream_socket", decision, source)
        }
        var recordRoute: [String] = []
        var path: [String] = []
        let method = message.method ?? ""
        let createsDialog = message.toTag == nil && Self.dialogCreatingMethods.contains(method)
        if createsDialog || method == "REGISTER",
            let incoming = settings.interface(source.interface)
                ?? settings.callerInterface(source.transport, family: source.address.canonical.family)
        {
            let flow = SIPFlow(
                transport: source.transport, local: incoming.endpoint, remoteAddress: source.address, remotePort: source.port)
            // A Path token routes requests to the registered agent, whatever their dialog.
            let token = DialogToken.mint(
                flow: flow, callID: createsDialog ? message.callID : "", initiatorTag: createsDialog ? message.fromTag ?? "" : "",
                now: DialogToken.issueTime(now: now, maximumAge: settings.dialogTokenMaxAge), keyring: settings.digest.keyring)
            // RFC 5658: the value the upstream reaches first, then the callers' one.
            var values = [recordRouteURI(incoming, token: token)]
            if incoming != outgoing { values.insert(recordRouteURI(outgoing, token: nil), at: 0) }
            if createsDialog { recordRoute = values } else { path = values }
        }
        let forwarded = message.forwarded(
            proxyVia: proxyVia(for: message, from: outgoing, transport: upstream.transport, source: source),
            receivedVia: stamp(message.topVia, from: source),
            removingFirstRoutes: route.leadingOwnRoutes,
            strictRouting: route.strictRouting,
            recordRoute: recordRoute,
            path: path,
            // Credentials for our realm end here; others pass on (RFC 3261 §22.3).
            removingProxyAuthorizationFor: realm,
            requiringContentLength: upstream.transport.isStream
        )
        decision.outbound = SIPOutbound(bytes: forwarded, destination: .upstream)
        return decision
    }

    /// Forwards a request from the upstream to the next hop its route set names (RFC 3261
    /// §16.4–16.6): over the caller's flow when sipfence's own Route carries a dialog
    /// token, else to the first remaining Route value or the Request-URI, located per
    /// RFC 3263.
    func forwardFromUpstream(
        _ message: SIPMessage, route: RouteSet, from source: SIPSource, now: UInt64, _ decision: AdmissionDecision
    ) -> AdmissionDecision {
        var decision = decision
        let remaining = message.routes.dropFirst(route.leadingOwnRoutes).dropLast(route.strictRouting ? 1 : 0)
        let target = remaining.first?.uri ?? (route.strictRouting ? message.routes.last?.uri : message.requestURI)
        guard let target, target.isSIP, let host = target.host else {
            return answer(message, .serviceUnavailable, verdict: .dropped, reason: "unroutable_request", decision, source)
        }
        let transport = target.transport ?? (target.scheme == "sips" ? .tls : .udp)
        // The upstream is trusted: its token is only checked for authenticity and binding —
        // to this dialog, or (a Path token) to no dialog at all — never for age.
        // (An RFC 2543 dialog has no tags: its token was made with an empty one.)
        let tags = [message.fromTag, message.toTag].compactMap { $0 } + [""]
        let keys = { (id: UInt8) in settings.keyring(for: id, at: now) }
        let token = route.tokens.lazy.compactMap { text in
            (try? DialogToken(verifying: text, callID: message.callID, tags: tags, keys: keys))
                ?? (try? DialogToken(verifying: text, callID: "", tags: [""], keys: keys))
        }.first

        let destination: SIPDestination
        let outgoing: SIPInterface
        let sendingTransport: SIPTransport
        if let token, let interface = settings.interface(token.flow.local), interface.side.facesCallers {
            let family = token.flow.remoteAddress.family
            let otherwise = SIPNextHop(transport: token.flow.transport, host: host, port: target.port, family: family)
            destination = .flow(token.flow, otherwise: otherwise)
            outgoing = interface
            sendingTransport = token.flow.transport
        } else {
            guard transport == .udp || transport == .tcp else {
                return answer(message, .serviceUnavailable, verdict: .dropped, reason: "unsupported_transport", decision, source)
            }
            let literal = IPAddress(parsing: host)?.canonical
            let interface =
                literal.map { settings.callerInterface(transport, family: $0.family) }
                ?? (settings.callerInterface(transport, family: .ipv4) ?? settings.callerInterface(transport, family: .ipv6))
            guard let interface else {
                return answer(message, .serviceUnavailable, verdict: .dropped, reason: "no_socket_for_next_hop", decision, source)
            }
            let family = literal?.family ?? (interface.reaches(.ipv4) ? .ipv4 : .ipv6)
            let hop = SIPNextHop(transport: transport, host: literal?.description ?? host, port: target.port, family: family)
            destination = .nextHop(hop)
            outgoing = interface
            sendingTransport = transport
        }

        var recordRoute: [String] = []
        let method = message.method ?? ""
        if message.toTag == nil && Self.dialogCreatingMethods.contains(method), let incoming = settings.upstreamInterface {
            // The flow the request goes out on, when its address is known now.
            var flow: SIPFlow?
            if case .flow(let tokenFlow, _) = destination {
                flow = tokenFlow
            } else if case .nextHop(let hop) = destination, let address = IPAddress(parsing: hop.host) {
                flow = SIPFlow(
                    transport: hop.transport, local: outgoing.endpoint, remoteAddress: address,
                    remotePort: hop.port ?? hop.transport.defaultPort)
            }
            let token = flow.map { flow in
                DialogToken.mint(
                    flow: flow, callID: message.callID, initiatorTag: message.fromTag ?? "",
                    now: DialogToken.issueTime(now: now, maximumAge: settings.dialogTokenMaxAge), keyring: settings.digest.keyring)
            }
            recordRoute = [recordRouteURI(outgoing, token: token)]
            if incoming != outgoing { recordRoute.append(recordRouteURI(incoming, token: nil)) }
        }
        let forwarded = message.forwarded(
            proxyVia: proxyVia(for: message, from: outgoing, transport: sendingTransport, source: source),
            receivedVia: stamp(message.topVia, from: source),
            removingFirstRoutes: route.leadingOwnRoutes,
            strictRouting: route.strictRouting,
            recordRoute: recordRoute,
            requiringContentLength: sendingTransport.isStream
        )
        decision.outbound = SIPOutbound(bytes: forwarded, destination: destination)
        return decision
    }

    /// The Via sipfence pushes when it sends `message` from `interface` (RFC 3261
    /// §16.6 item 8): its advertised address, a stateless branch with a loop-detection
    /// part, `rport` (RFC 3581), and the flow the request came in on, for the response.
    func proxyVia(for message: SIPMessage, from interface: SIPInterface, transport: SIPTransport, source: SIPSource) -> SIPVia {
        var parameters = [
            SIPParameter(name: "branch", value: message.statelessBranch(secret: settings.secret)),
            SIPParameter(name: "rport"),
        ]
        if let connection = source.connection {
            let flow = (source.transport.isStream ? "t" : "u") + connection.description
            parameters.append(SIPParameter(name: Self.flowParameter, value: flow))
        }
        return SIPVia(transport: transport.rawValue, host: interface.advertisedHost, port: interface.port, parameters: parameters)
    }

    /// sipfence's Record-Route (or Path) URI for `interface`: a loose-routing SIP URI of
    /// its advertised address and port, with `transport=tcp` for TCP and the dialog token
    /// when there is one (RFC 3261 §16.6 item 4, RFC 3327 §5.1).
    func recordRouteURI(_ interface: SIPInterface, token: String?) -> String {
        var uri = "sip:\(interface.hostText):\(interface.port)"
        if interface.transport == .tcp { uri += ";transport=tcp" }
        uri += ";lr"
        if let token { uri += ";\(DialogToken.parameterName)=\(token)" }
        return uri
    }
}
