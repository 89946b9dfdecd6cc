import Hummingbird

/// Applies the API's body size limit to every request.
///
/// A request that declares a larger `Content-Length` is refused with 413 before any of
/// its body is read; for the others (chunked bodies), the limit travels in the context
/// and the form decoder stops reading at it.
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = ManagementRequestContext

    let maximumBodySize: Int

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > maximumBodySize {
            throw TwilioError.bodyTooLarge(limit: maximumBodySize)
        }
        var context = context
        context.maxUploadSize = maximumBodySize
        return try await next(request, context)
    }
}
