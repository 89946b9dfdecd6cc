import Hummingbird
import PolicyStore

extension ManagementAPI {
    func addCredentialRoutes(to routes: RouteTable) {
        routes.add(
            "/2010-04-01/Accounts/:accountSid/SIP/CredentialLists/:credentialListSid/Credentials.json",
            [.get: listCredentials, .post: createCredential])
        routes.add(
            "/2010-04-01/Accounts/:accountSid/SIP/CredentialLists/:credentialListSid/Credentials/{credentialSid}.json",
            [.get: fetchCredential, .post: updateCredential, .delete: deleteCredential])
    }

    @Sendable func listCredentials(_ request: Request, context: ManagementRequestContext) async throws -> Response {
        let account = try context.account(for: request)
        let list = try context.sid("credentialListSid", .credentialList, in: request)
        let page = try TwilioPageRequest(request, tokenKind: .credential)
        let records = try await translatingStoreErrors(path: request.uri.path) {
            try await store.credentials(
                list: list, account: account, after: page.after, offset: page.offset, limit: page.fetchLimit)
        }
        return JSONBody.response(
            status: .ok,
            body: page.page(
                of: records, key: "credentials", path: TwilioPaths(account: account).credentials(list), sid: \.sid,
                render: CredentialResource.init))
    }

    /// Creates a credential. The password is checked against Twilio's rule and hashed for
    /// ``digestRealm`` here; only the hashes reach the store.
    @Sendable func createCredential(_ request: Request, context: ManagementRequestContext) async throws -> Response {
        let account = try context.account(for: request)
        let list = try context.sid("credentialListSid", .credentialList, in: request)
        let form = try await context.requestDecoder.decode(CredentialForm.self, from: request, context: context)
        let username = try FormValue.username(form.username, "Username", code: .invalidParameter)
        let password = try FormValue.password(form.password, "Password", code: .invalidParameter)
        let secret = try CredentialSecret(username: username, realm: digestRealm, password: password)
        let record = try await translatingStoreErrors(path: request.uri.path) {
            try await store.createCredential(account: account, list: list, username: username, secret: secret)
        }
        return JSONBody.response(status: .created, body: CredentialResource(record))
    }

    @Sendable func fetchCredential(_ request: Request, context: ManagementRequestContext) async throws -> Response {
        let account = try context.account(for: request)
        let list = try context.sid("credentialListSid", .credentialList, in: request)
        let sid = try context.sid("credentialSid", .credential, in: request)
        let record = try await translatingStoreErrors(path: request.uri.path) {
            try await store.credential(sid, list: list, account: account)
        }
        return JSONBody.response(status: .ok, body: CredentialResource(record))
    }

    /// Changes a credential's password (its only changeable property). Without `Password`
    /// nothing changes, as Twilio's update marks the parameter optional.
    @Sendable func updateCredential(_ request: Request, context: ManagementRequestContext) async throws -> Response {
        let account = try context.account(for: request)
        let list = try context.sid("credentialListSid", .credentialList, in: request)
        let sid = try context.sid("credentialSid", .credential, in: request)
        let form = try await context.requestDecoder.decode(CredentialForm.self, from: request, context: context)
        let password = try form.password.map { value throws(TwilioError) in
            try FormValue.password(value, "Password", code: .invalidParameter)
        }
        let record = try await translatingStoreErrors(path: request.uri.path) {
            guard let password else { return try await store.credential(sid, list: list, account: account) }
            // The hash covers the username, which only the stored record knows.
            let stored = try await store.credential(sid, list: list, account: account)
            let secret = try CredentialSecret(username: stored.username, realm: digestRealm, password: password)
            return try await store.updateCredential(sid, list: list, account: account, secret: secret)
        }
        return JSONBody.response(status: .ok, body: CredentialResource(record))
    }

    @Sendable func deleteCredential(_ request: Request, context: ManagementRequestContext) async throws -> Response {
        let account = try context.account(for: request)
        let list = try context.sid("credentialListSid", .credentialList, in: request)
        let sid = try context.sid("credentialSid", .credential, in: request)
        try await translatingStoreErrors(path: request.uri.path) {
            try await store.deleteCredential(sid, list: list, account: account)
        }
        return Response(status: .noContent)
    }
}
