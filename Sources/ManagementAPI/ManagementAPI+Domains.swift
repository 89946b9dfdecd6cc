import Hummingbird
import PolicyStore

extension ManagementAPI {
    func addDomainRoutes(to routes: RouteTable) {
        routes.add(
            "/2010-04-01/Accounts/:accountSid/SIP/Domains.json",
            [.get: listDomains, .post: createDomain])
        routes.add(
            "/2010-04-01/Accounts/:accountSid/SIP/Domains/{domainSid}.json",
            [.get: fetchDomain, .post: updateDomain, .delete: deleteDomain])
    }

    @Sendable func listDomains(_ request: Request, context: ManagementRequestContext) async throws -> Response {
        let account = try context.account(for: request)
        let page = try TwilioPageRequest(request, tokenKind: .domain)
        let records = try await store.domains(
            account: account, after: page.after, offset: page.offset, limit: page.fetchLimit)
        return JSONBody.response(
            status: .ok,
            body: page.page(
                of: records, key: "domains", path: TwilioPaths(account: account).domains, sid: \.sid,
                render: DomainResource.init))
    }

    @Sendable func createDomain(_ request: Request, context: ManagementRequestContext) async throws -> Response {
        let account = try context.account(for: request)
        let changes = try await context.requestDecoder.decode(DomainForm.self, from: request, context: context)
            .changes(requireName: true)
        guard let name = changes.name else { throw TwilioError.missingParameter("DomainName", code: .invalidDomain) }
        var settings = DomainSettings()
        changes.apply(to: &settings)
        let record = try await translatingStoreErrors(path: request.uri.path) {
            try await store.createDomain(account: account, name: name, settings: settings)
        }
        return JSONBody.response(status: .created, body: DomainResource(record))
    }

    @Sendable func fetchDomain(_ request: Request, context: ManagementRequestContext) async throws -> Response {
        let account = try context.account(for: request)
        let sid = try context.sid("domainSid", .domain, in: request)
        let record = try await translatingStoreErrors(path: request.uri.path) {
            try await store.domain(sid, account: account)
        }
        return JSONBody.response(status: .ok, body: DomainResource(record))
    }

    @Sendable func updateDomain(_ request: Request, context: ManagementRequestContext) async throws -> Response {
        let account = try context.account(for: request)
        let sid = try context.sid("domainSid", .domain, in: request)
        let changes = try await context.requestDecoder.decode(DomainForm.self, from: request, context: context)
            .changes(requireName: false)
        let record = try await translatingStoreErrors(path: request.uri.path) {
            try await store.updateDomain(sid, account: account) { changes.apply(to: &$0) }
        }
        return JSONBody.response(status: .ok, body: DomainResource(record))
    }

    @Sendable func deleteDomain(_ request: Request, context: ManagementRequestContext) async throws -> Response {
        let account = try context.account(for: request)
        let sid = try context.sid("domainSid", .domain, in: request)
        try await translatingStoreErrors(path: request.uri.path) {
            try await store.deleteDomain(sid, account: account)
        }
        return Response(status: .noContent)
    }
}
