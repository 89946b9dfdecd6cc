import Hummingbird

/// Registers resources on the router: for each path, the handlers of the methods it
/// supports, and a 405 for every other method (the router alone would answer 404).
struct RouteTable {
    typealias Handler = @Sendable (Request, ManagementRequestContext) async throws -> Response

    /// The methods a client may try on any resource.
    static let knownMethods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options]

    let router: Router<ManagementRequestContext>

    func add(_ path: RouterPath, _ handlers: KeyValuePairs<HTTPRequest.Method, Handler>) {
        let allowed = handlers.map(\.key)
        for (method, handler) in handlers {
            router.on(path, method: method, use: handler)
        }
        for method in Self.knownMethods where !allowed.contains(method) {
            router.on(path, method: method) { request, _ -> Response in
                throw TwilioError.methodNotAllowed(method, path: request.uri.path, allowed: allowed)
            }
        }
    }
}
