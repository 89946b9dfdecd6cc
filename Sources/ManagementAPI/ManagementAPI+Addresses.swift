import Hummingbird
import PolicyStore

extension ManagementAPI {
    func addAddressRoutes(to routes: RouteTable) {
        routes.add(
            "/2010-04-01/Accounts/:accountSid/SIP/IpAccessControlLists/:listSid/IpAddresses.json",
            [.get: listAddresses, .post: createAddress])
        routes.add(
            "/2010-04-01/Accounts/:accountSid/SIP/IpAccessControlLists/:listSid/IpAddresses/{addressSid}.json",
            [.get: fetchAddress, .post: updateAddress, .delete: deleteAddress])
    }

    @Sendable func listAddresses(_ request: Request, context: ManagementRequestContext) async throws -> Response {
        let account = try context.account(for: request)
        let list = try context.sid("listSid", .ipAccessControlList, in: request)
        let page = try TwilioPageRequest(request, tokenKind: .ipAddress)
        let records = try await translatingStoreErrors(path: request.uri.path) {
            try await store.ipAddresses(
                list: list, account: account, after: page.after, offset: page.offset, limit: page.fetchLimit)
        }
        return JSONBody.response(
            status: .ok,
            body: page.page(
                of: records, key: "ip_addresses", path: TwilioPaths(account: account).ipAddresses(list), sid: \.sid,
                render: IPAddressResource.init))
    }

    @Sendable func createAddress(_ request: Request, context: ManagementRequestContext) async throws -> Response {
        let account = try context.account(for: request)
        let list = try context.sid("listSid", .ipAccessControlList, in: request)
        let form = try await context.requestDecoder.decode(IPAddressForm.self, from: request, context: context)
        guard let friendlyName = try form.checkedFriendlyName(required: true) else {
            throw TwilioError.missingParameter("FriendlyName")
        }
        guard
            let prefix = try FormValue.prefix(
                address: FormValue.required(form.ipAddress, "IpAddress", code: .invalidParameter),
                length: form.cidrPrefixLength, current: nil)
        else { throw TwilioError.missingParameter("IpAddress") }
        try form.requireLongEnough(prefix, store.prefixLengthMinimums)
        let record = try await translatingStoreErrors(path: request.uri.path) {
            try await store.createIPAddress(account: account, list: list, friendlyName: friendlyName, prefix: prefix)
        }
        return JSONBody.response(status: .created, body: IPAddressResource(record))
    }

    @Sendable func fetchAddress(_ request: Request, context: ManagementRequestContext) async throws -> Response {
        let account = try context.account(for: request)
        let list = try context.sid("listSid", .ipAccessControlList, in: request)
        let sid = try context.sid("addressSid", .ipAddress, in: request)
        let record = try await translatingStoreErrors(path: request.uri.path) {
            try await store.ipAddress(sid, list: list, account: account)
        }
        return JSONBody.response(status: .ok, body: IPAddressResource(record))
    }

    @Sendable func updateAddress(_ request: Request, context: ManagementRequestContext) async throws -> Response {
        let account = try context.account(for: request)
        let list = try context.sid("listSid", .ipAccessControlList, in: request)
        let sid = try context.sid("addressSid", .ipAddress, in: request)
        let form = try await context.requestDecoder.decode(IPAddressForm.self, from: request, context: context)
        let friendlyName = try form.checkedFriendlyName(required: false)
        let minimums = store.prefixLengthMinimums
        // The new prefix depends on the stored one (a bare CidrPrefixLength applies to it),
        // so it is worked out inside the store's transaction; its errors abort the update.
        let record = try await translatingStoreErrors(path: request.uri.path) {
            try await store.updateIPAddress(sid, list: list, account: account) { entry in
                if let friendlyName { entry.friendlyName = friendlyName }
                if let prefix = try FormValue.prefix(
                    address: form.ipAddress, length: form.cidrPrefixLength, current: entry.prefix)
                {
                    if prefix != entry.prefix { try form.requireLongEnough(prefix, minimums) }
                    entry.prefix = prefix
                }
            }
        }
        return JSONBody.response(status: .ok, body: IPAddressResource(record))
    }

    @Sendable func deleteAddress(_ request: Request, context: ManagementRequestContext) async throws -> Response {
        let account = try context.account(for: request)
        let list = try context.sid("listSid", .ipAccessControlList, in: request)
        let sid = try context.sid("addressSid", .ipAddress, in: request)
        try await translatingStoreErrors(path: request.uri.path) {
            try await store.deleteIPAddress(sid, list: list, account: account)
        }
        return Response(status: .noContent)
    }
}
