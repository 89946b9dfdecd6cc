import Hummingbird
import PolicyStore

extension ManagementAPI {
    func addListRoutes(to routes: RouteTable) {
        routes.add(
            "/2010-04-01/Accounts/:accountSid/SIP/IpAccessControlLists.json",
            [.get: listLists, .post: createList])
        routes.add(
            "/2010-04-01/Accounts/:accountSid/SIP/IpAccessControlLists/{listSid}.json",
            [.get: fetchList, .post: updateList, .delete: deleteList])
    }

    @Sendable func listLists(_ request: Request, context: ManagementRequestContext) async throws -> Response {
        let account = try context.account(for: request)
        let page = try TwilioPageRequest(request, tokenKind: .ipAccessControlList)
        let records = try await store.ipAccessControlLists(
            account: account, after: page.after, offset: page.offset, limit: page.fetchLimit)
        return JSONBody.response(
            status: .ok,
            body: page.page(
                of: records, key: "ip_access_control_lists", path: TwilioPaths(account: account).ipAccessControlLists,
                sid: \.sid, render: IPAccessControlListResource.init))
    }

    @Sendable func createList(_ request: Request, context: ManagementRequestContext) async throws -> Response {
        let account = try context.account(for: request)
        let friendlyName = try await context.requestDecoder.decode(
            IPAccessControlListForm.self, from: request, context: context
        ).checkedFriendlyName()
        let record = try await translatingStoreErrors(path: request.uri.path) {
            try await store.createIPAccessControlList(account: account, friendlyName: friendlyName)
        }
        return JSONBody.response(status: .created, body: IPAccessControlListResource(record))
    }

    @Sendable func fetchList(_ request: Request, context: ManagementRequestContext) async throws -> Response {
        let account = try context.account(for: request)
        let sid = try context.sid("listSid", .ipAccessControlList, in: request)
        let record = try await translatingStoreErrors(path: request.uri.path) {
            try await store.ipAccessControlList(sid, account: account)
        }
        return JSONBody.response(status: .ok, body: IPAccessControlListResource(record))
    }

    @Sendable func updateList(_ request: Request, context: ManagementRequestContext) async throws -> Response {
        let account = try context.account(for: request)
        let sid = try context.sid("listSid", .ipAccessControlList, in: request)
        let friendlyName = try await context.requestDecoder.decode(
            IPAccessControlListForm.self, from: request, context: context
        ).checkedFriendlyName()
        let record = try await translatingStoreErrors(path: request.uri.path) {
            try await store.renameIPAccessControlList(sid, account: account, friendlyName: friendlyName)
        }
        return JSONBody.response(status: .ok, body: IPAccessControlListResource(record))
    }

    @Sendable func deleteList(_ request: Request, context: ManagementRequestContext) async throws -> Response {
        let account = try context.account(for: request)
        let sid = try context.sid("listSid", .ipAccessControlList, in: request)
        try await translatingStoreErrors(path: request.uri.path) {
            try await store.deleteIPAccessControlList(sid, account: account)
        }
        return Response(status: .noContent)
    }
}
