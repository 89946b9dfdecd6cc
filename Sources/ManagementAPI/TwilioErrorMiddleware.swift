import Hummingbird
import Logging
import PolicyStore

/// Turns every error a request raises into Twilio's error response.
///
/// Handlers throw ``TwilioError``s; Hummingbird throws its own for an unknown path (404)
/// or a body over the limit (413); a store that is unavailable (locked by another writer,
/// unreadable) is logged and answered with 503 / 20503, which clients retry; anything else
/// (a database failure) is logged and answered with a bare 500, so internals never reach
/// the client.
struct TwilioErrorMiddleware: RouterMiddleware {
    typealias Context = ManagementRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as TwilioError {
            return try error.response(from: request, context: context)
        } catch let error as PolicyStoreError {
            // A store error no handler translated; an unavailable store is logged, since
            // the client is told only 503 / 20503.
            if case .unavailable = error {
                context.logger.warning(
                    "management API request refused: the policy store is unavailable",
                    metadata: ["method": "\(request.method)", "path": "\(request.uri.path)", "error": "\(error)"])
            }
            return try error.twilioError(path: request.uri.path).response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            let twilioError: TwilioError =
                switch error.status {
                case .notFound: .notFound(request.uri.path)
                case .contentTooLarge: .bodyTooLarge(limit: context.maxUploadSize)
                case .unauthorized: .authenticationFailed("invalid credentials")
                default:
                    TwilioError(
                        status: error.status, code: .internalError,
                        message: error.status.reasonPhrase.isEmpty ? "Error" : error.status.reasonPhrase)
                }
            return try twilioError.response(from: request, context: context)
        } catch {
            context.logger.error(
                "management API request failed",
                metadata: ["method": "\(request.method)", "path": "\(request.uri.path)", "error": "\(error)"])
            return try TwilioError.internalError.response(from: request, context: context)
        }
    }
}
