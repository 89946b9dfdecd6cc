import Hummingbird
import PolicyStore

extension ManagementAPI {
    func addCredentialMappingRoutes(to routes: RouteTable) {
        for kind in CredentialMappingKind.allCases {
            let collection =
                "/2010-04-01/Accounts/:accountSid/SIP/Domains/:domainSid/\(TwilioPaths.credentialMappingPath(kind))"
            routes.add(
                RouterPath("\(collection).json"),
                [
                    .get: { request, context in try await listCredentialMappings(kind, request, context) },
                    .post: { request, context in try await createCredentialMapping(kind, request, context) },
                ])
            routes.add(
                RouterPath("\(collection)/{credentialListSid}.json"),
                [
                    .get: { request, context in try await fetchCredentialMapping(kind, request, context) },
                    .delete: { request, context in try await deleteCredentialMapping(kind, request, context) },
                ])
        }
    }

    func listCredentialMappings(
        _ kind: CredentialMappingKind, _ request: Request, _ context: ManagementRequestContext
    ) async throws -> Response {
        let account = try context.account(for: request)
        let domain = try context.sid("domainSid", .domain, in: request)
        let page = try TwilioPageRequest(request, tokenKind: .credentialList)
        let records = try await translatingStoreErrors(path: request.uri.path) {
            try await store.credentialListMappings(
                kind, domain: domain, account: account, after: page.after, offset: page.offset, limit: page.fetchLimit)
        }
        return JSONBody.response(
            status: .ok,
            body: page.page(
                of: records, key: CredentialListMappingResource.listKey(kind),
                path: TwilioPaths(account: account).credentialListMappings(kind, domain: domain), sid: \.sid,
                render: CredentialListMappingResource.init))
    }

    func createCredentialMapping(
        _ kind: CredentialMappingKind, _ request: Request, _ context: ManagementRequestContext
    ) async throws -> Response {
        let account = try context.account(for: request)
        let domain = try context.sid("domainSid", .domain, in: request)
        let form = try await context.requestDecoder.decode(
            CredentialListMappingForm.self, from: request, context: context)
        let text = try FormValue.required(form.credentialListSID, "CredentialListSid", code: .domainValidation)
        guard let list = SID(text, kind: .credentialList) else {
            throw TwilioError.invalidParameter(
                "CredentialListSid", "\(String(reflecting: text)) is not a CredentialList SID",
                code: .domainValidation)
        }
        let record: CredentialListMappingRecord
        do {
            record = try await store.createCredentialListMapping(kind, domain: domain, list: list, account: account)
        } catch PolicyStoreError.notFound(let missing) where missing == list {
            // The parameter names no list of this account: a bad parameter, not a bad URL.
            throw TwilioError.invalidParameter(
                "CredentialListSid", "the account has no CredentialList \(list)", code: .domainValidation)
        } catch let error as PolicyStoreError {
            throw error.twilioError(path: request.uri.path)
        }
        return JSONBody.response(status: .created, body: CredentialListMappingResource(record))
    }

    func fetchCredentialMapping(
        _ kind: CredentialMappingKind, _ request: Request, _ context: ManagementRequestContext
    ) async throws -> Response {
        let account = try context.account(for: request)
        let domain = try context.sid("domainSid", .domain, in: request)
        let list = try context.sid("credentialListSid", .credentialList, in: request)
        let record = try await translatingStoreErrors(path: request.uri.path) {
            try await store.credentialListMapping(kind, domain: domain, list: list, account: account)
        }
        return JSONBody.response(status: .ok, body: CredentialListMappingResource(record))
    }

    func deleteCredentialMapping(
        _ kind: CredentialMappingKind, _ request: Request, _ context: ManagementRequestContext
    ) async throws -> Response {
        let account = try context.account(for: request)
        let domain = try context.sid("domainSid", .domain, in: request)
        let list = try context.sid("credentialListSid", .credentialList, in: request)
        try await translatingStoreErrors(path: request.uri.path) {
            try await store.deleteCredentialListMapping(kind, domain: domain, list: list, account: account)
        }
        return Response(status: .noContent)
    }
}
