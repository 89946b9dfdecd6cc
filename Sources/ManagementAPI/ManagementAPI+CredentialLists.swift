import Hummingbird
import PolicyStore

extension ManagementAPI {
    func addCredentialListRoutes(to routes: RouteTable) {
        routes.add(
            "/2010-04-01/Accounts/:accountSid/SIP/CredentialLists.json",
            [.get: listCredentialLists, .post: createCredentialList])
        routes.add(
            "/2010-04-01/Accounts/:accountSid/SIP/CredentialLists/{credentialListSid}.json",
            [.get: fetchCredentialList, .post: updateCredentialList, .delete: deleteCredentialList])
    }

    @Sendable func listCredentialLists(_ request: Request, context: ManagementRequestContext) async throws -> Response {
        let account = try context.account(for: request)
        let page = try TwilioPageRequest(request, tokenKind: .credentialList)
        let records = try await store.credentialLists(
            account: account, after: page.after, offset: page.offset, limit: page.fetchLimit)
        return JSONBody.response(
            status: .ok,
            body: page.page(
                of: records, key: "credential_lists", path: TwilioPaths(account: account).credentialLists,
                sid: \.sid, render: CredentialListResource.init))
    }

    @Sendable func createCredentialList(
        _ request: Request, context: ManagementRequestContext
    ) async throws -> Response {
        let account = try context.account(for: request)
        let friendlyName = try await context.requestDecoder.decode(
            CredentialListForm.self, from: request, context: context
        ).checkedFriendlyName()
        let record = try await translatingStoreErrors(path: request.uri.path) {
            try await store.createCredentialList(account: account, friendlyName: friendlyName)
        }
        return JSONBody.response(status: .created, body: CredentialListResource(record))
    }

    @Sendable func fetchCredentialList(_ request: Request, context: ManagementRequestContext) async throws -> Response {
        let account = try context.account(for: request)
        let sid = try context.sid("credentialListSid", .credentialList, in: request)
        let record = try await translatingStoreErrors(path: request.uri.path) {
            try await store.credentialList(sid, account: account)
        }
        return JSONBody.response(status: .ok, body: CredentialListResource(record))
    }

    @Sendable func updateCredentialList(
        _ request: Request, context: ManagementRequestContext
    ) async throws -> Response {
        let account = try context.account(for: request)
        let sid = try context.sid("credentialListSid", .credentialList, in: request)
        let friendlyName = try await context.requestDecoder.decode(
            CredentialListForm.self, from: request, context: context
        ).checkedFriendlyName()
        let record = try await translatingStoreErrors(path: request.uri.path) {
            try await store.renameCredentialList(sid, account: account, friendlyName: friendlyName)
        }
        return JSONBody.response(status: .ok, body: CredentialListResource(record))
    }

    @Sendable func deleteCredentialList(
        _ request: Request, context: ManagementRequestContext
    ) async throws -> Response {
        let account = try context.account(for: request)
        let sid = try context.sid("credentialListSid", .credentialList, in: request)
        try await translatingStoreErrors(path: request.uri.path) {
            try await store.deleteCredentialList(sid, account: account)
        }
        return Response(status: .noContent)
    }
}
