import Hummingbird
import PolicyStore

extension ManagementAPI {
    func addMappingRoutes(to routes: RouteTable) {
        for kind in MappingKind.allCases {
            let collection =
                switch kind {
                case .legacy: "/2010-04-01/Accounts/:accountSid/SIP/Domains/:domainSid/IpAccessControlListMappings"
                case .authCalls:
                    "/2010-04-01/Accounts/:accountSid/SIP/Domains/:domainSid/Auth/Calls/IpAccessControlListMappings"
                }
            routes.add(
                RouterPath("\(collection).json"),
                [
                    .get: { request, context in try await listMappings(kind, request, context) },
                    .post: { request, context in try await createMapping(kind, request, context) },
                ])
            routes.add(
                RouterPath("\(collection)/{listSid}.json"),
                [
                    .get: { request, context in try await fetchMapping(kind, request, context) },
                    .delete: { request, context in try await deleteMapping(kind, request, context) },
                ])
        }
    }

    func listMappings(
        _ kind: MappingKind, _ request: Request, _ context: ManagementRequestContext
    ) async throws -> Response {
        let account = try context.account(for: request)
        let domain = try context.sid("domainSid", .domain, in: request)
        let page = try TwilioPageRequest(request, tokenKind: .ipAccessControlList)
        let records = try await translatingStoreErrors(path: request.uri.path) {
            try await store.mappings(
                kind, domain: domain, account: account, after: page.after, offset: page.offset, limit: page.fetchLimit)
        }
        return JSONBody.response(
            status: .ok,
            body: page.page(
                of: records, key: MappingResource.listKey(kind),
                path: TwilioPaths(account: account).mappings(kind, domain: domain), sid: \.sid,
                render: MappingResource.init))
    }

    func createMapping(
        _ kind: MappingKind, _ request: Request, _ context: ManagementRequestContext
    ) async throws -> Response {
        let account = try context.account(for: request)
        let domain = try context.sid("domainSid", .domain, in: request)
        let form = try await context.requestDecoder.decode(MappingForm.self, from: request, context: context)
        let text = try FormValue.required(
            form.ipAccessControlListSID, "IpAccessControlListSid", code: .domainValidation)
        guard let list = SID(text, kind: .ipAccessControlList) else {
            throw TwilioError.invalidParameter(
                "IpAccessControlListSid", "\(String(reflecting: text)) is not an IpAccessControlList SID",
                code: .domainValidation)
        }
        let record: MappingRecord
        do {
            record = try await store.createMapping(kind, domain: domain, list: list, account: account)
        } catch PolicyStoreError.notFound(let missing) where missing == list {
            // The parameter names no list of this account: a bad parameter, not a bad URL.
            throw TwilioError.invalidParameter(
                "IpAccessControlListSid", "the account has no IpAccessControlList \(list)", code: .domainValidation)
        } catch let error as PolicyStoreError {
            throw error.twilioError(path: request.uri.path)
        }
        return JSONBody.response(status: .created, body: MappingResource(record))
    }

    func fetchMapping(
        _ kind: MappingKind, _ request: Request, _ context: ManagementRequestContext
    ) async throws -> Response {
        let account = try context.account(for: request)
        let domain = try context.sid("domainSid", .domain, in: request)
        let list = try context.sid("listSid", .ipAccessControlList, in: request)
        let record = try await translatingStoreErrors(path: request.uri.path) {
            try await store.mapping(kind, domain: domain, list: list, account: account)
        }
        return JSONBody.response(status: .ok, body: MappingResource(record))
    }

    func deleteMapping(
        _ kind: MappingKind, _ request: Request, _ context: ManagementRequestContext
    ) async throws -> Response {
        let account = try context.account(for: request)
        let domain = try context.sid("domainSid", .domain, in: request)
        let list = try context.sid("listSid", .ipAccessControlList, in: request)
        try await translatingStoreErrors(path: request.uri.path) {
            try await store.deleteMapping(kind, domain: domain, list: list, account: account)
        }
        return Response(status: .noContent)
    }
}
