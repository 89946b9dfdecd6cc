import Foundation
import Hummingbird
import PolicyStore

/// HTTP Basic authentication against the configured accounts, as Twilio does it: the user
/// is the Account SID and the password its auth token, or the user is an API key SID
/// (`SK…`) and the password the key's secret; a key acts for its own account only.
///
/// Tokens are compared in constant time (in the length of the longer one), and an unknown
/// account is compared against a dummy token, so response timing does not reveal how
/// much of a token was right or whether an account exists. Paths in `publicPaths` pass
/// without credentials.
struct BasicAuthenticationMiddleware: RouterMiddleware {
    typealias Context = ManagementRequestContext

    let credentials: AccountCredentials
    let publicPaths: Set<String>

    init(credentials: AccountCredentials, publicPaths: Set<String>) {
        self.credentials = credentials
        self.publicPaths = publicPaths
    }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if publicPaths.contains(request.uri.path) {
            return try await next(request, context)
        }
        guard let authorization = request.headers[.authorization] else {
            throw TwilioError.authenticationFailed("No credentials provided")
        }
        guard let (user, password) = Self.basicCredentials(authorization) else {
            throw TwilioError.authenticationFailed("invalid Authorization header")
        }
        let expected = credentials.credential(of: user)
        // Compare even for an unknown user, so the time taken does not tell.
        let matches = Self.constantTimeEquals(Array(password.utf8), expected?.secret ?? Self.dummyToken)
        guard matches, let expected else {
            throw TwilioError.authenticationFailed("invalid username or password")
        }
        var context = context
        context.authenticatedAccount = expected.account
        context.isOperator = credentials.isOperator(expected.account)
        return try await next(request, context)
    }

    /// The user and password of a `Basic` authorization header, or `nil`.
    static func basicCredentials(_ header: String) -> (user: String, password: String)? {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "basic",
            let data = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)),
            let text = String(data: data, encoding: .utf8),
            let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    /// Whether `a` equals `b`, taking time that depends only on their lengths.
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        let length = max(a.count, b.count)
        for index in 0..<length {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= x ^ y
        }
        return difference == 0
    }

    private static let dummyToken = Array("sipfence-no-such-account-0000000".utf8)
}
