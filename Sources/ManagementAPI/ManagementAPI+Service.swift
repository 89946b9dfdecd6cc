import AccessControl
import Hummingbird
import PolicyStore

extension ManagementAPI {
    static let healthPath = "/healthz"
    static let metricsPath = "/metrics"

    func addServiceRoutes(to routes: RouteTable) {
        routes.add(RouterPath(Self.healthPath), [.get: health])
        routes.add("/sipfence/v1/check", [.get: check])
        if let metrics {
            routes.add(
                RouterPath(Self.metricsPath),
                [
                    .get: { _, _ in
                        Response(
                            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: metrics())))
                    }
                ])
        }
    }

    /// `GET /healthz`: 200 with the live policy's and the store's generations while the
    /// store can be read; else 503 with `"store": "unavailable"` and the generation of the
    /// policy the SIP path keeps enforcing meanwhile. No credentials needed.
    @Sendable func health(_ request: Request, context: ManagementRequestContext) async throws -> Response {
        let policyGeneration = policy().generation
        do {
            let storeGeneration = try await store.generation()
            return JSONBody.response(
                status: .ok,
                body: HealthStatus(
                    status: "ok", store: "ok", policyGeneration: policyGeneration, storeGeneration: storeGeneration))
        } catch {
            context.logger.error("health check cannot read the policy store", metadata: ["error": "\(error)"])
            return JSONBody.response(
                status: .serviceUnavailable,
                body: HealthStatus(
                    status: "store_unavailable", store: "unavailable", policyGeneration: policyGeneration,
                    storeGeneration: nil))
        }
    }

    /// `GET /sipfence/v1/check?domain=D&source=IP`: what the live policy would do with an
    /// INVITE for `domain` from `source`.
    ///
    /// Only the caller's own domains are answered from the policy; a domain of another
    /// account is reported as unknown, exactly like one that does not exist, so the
    /// endpoint reveals nothing about other accounts.
    @Sendable func check(_ request: Request, context: ManagementRequestContext) async throws -> Response {
        guard let account = context.authenticatedAccount else { throw TwilioError.notFound(request.uri.path) }
        let query = request.uri.queryParameters
        guard let domainText = query["domain"].map(String.init), !domainText.isEmpty else {
            throw TwilioError.missingParameter("domain")
        }
        guard let sourceText = query["source"].map(String.init), !sourceText.isEmpty else {
            throw TwilioError.missingParameter("source")
        }
        let domain: DomainName
        do {
            domain = try DomainName(validating: domainText)
        } catch {
            throw TwilioError.invalidParameter("domain", error.description)
        }
        let source: IPAddress
        do {
            source = try IPAddress(sourceText)
        } catch {
            throw TwilioError.invalidParameter(
                "source", "\(String(reflecting: sourceText)) is not an IP address: \(error)")
        }
        let policy = policy()
        let decision: CallRequirement
        if try await store.domain(named: domain, account: account) != nil, let rule = policy.rule(for: domain) {
            decision = rule.requirement(forCallFrom: source, mode: authenticationMode)
        } else {
            decision = .reject(.unknownDomain)
        }
        return JSONBody.response(
            status: .ok,
            body: CheckResult(domain: domain, source: source, decision: decision, generation: policy.generation))
    }
}

/// The body of `GET /healthz`.
struct HealthStatus: Encodable, Sendable {
    /// `ok`, or `store_unavailable` (with status 503).
    let status: String
    /// `ok` or `unavailable`.
    let store: String
    /// The generation of the policy the SIP path enforces.
    let policyGeneration: UInt64
    /// The store's generation; `null` when the store cannot be read.
    let storeGeneration: UInt64?

    enum CodingKeys: String, CodingKey {
        case status, store, policyGeneration = "policy_generation", storeGeneration = "store_generation"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(status, forKey: .status)
        try container.encode(store, forKey: .store)
        try container.encode(policyGeneration, forKey: .policyGeneration)
        try container.encode(storeGeneration, forKey: .storeGeneration)  // null when unknown
    }
}

/// The body of `GET /sipfence/v1/check`, as DESIGN.md specifies it; every key is present.
struct CheckResult: Encodable, Sendable {
    let domain: DomainName
    let source: IPAddress
    let decision: CallRequirement
    let generation: UInt64

    enum CodingKeys: String, CodingKey {
        case domain, source, verdict, reason, prefix
        case listSID = "ip_access_control_list_sid", generation = "policy_generation"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(domain.normalized, forKey: .domain)
        try container.encode(source.description, forKey: .source)
        try container.encode(generation, forKey: .generation)
        switch decision {
        case .admit(let match):
            try container.encode("admit", forKey: .verdict)
            try container.encode("source_in_list", forKey: .reason)
            try container.encode(match.listID, forKey: .listSID)
            try container.encode(match.prefix.description, forKey: .prefix)
        case .authenticate(let match):
            // Admitted once the caller answers a digest challenge (407).
            try container.encode("challenge", forKey: .verdict)
            try container.encode(match == nil ? "credentials_required" : "source_in_list_credentials_required", forKey: .reason)
            try container.encode(match?.listID, forKey: .listSID)
            try container.encode(match?.prefix.description, forKey: .prefix)
        case .reject(let rejection):
            try container.encode("reject", forKey: .verdict)
            try container.encode(rejection.rawValue, forKey: .reason)
            try container.encode(String?.none, forKey: .listSID)
            try container.encode(String?.none, forKey: .prefix)
        }
    }
}
