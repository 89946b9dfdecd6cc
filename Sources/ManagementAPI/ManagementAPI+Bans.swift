import AccessControl
import Admission
import Foundation
import Hummingbird

extension ManagementAPI {
    static let bansPath = "/sipfence/v1/bans"

    func addBanRoutes(to routes: RouteTable) {
        routes.add(RouterPath(Self.bansPath), [.get: listBans])
        routes.add(RouterPath(Self.bansPath + "/:address"), [.delete: liftBan])
    }

    /// `GET /sipfence/v1/bans`: every flood ban in force on this node, oldest first.
    /// Operator accounts only: bans are global to the node, not per account.
    @Sendable func listBans(_ request: Request, context: ManagementRequestContext) async throws -> Response {
        let flood = try operatorFloodGuard(request, context)
        let now = Date().timeIntervalSince1970
        return JSONBody.response(status: .ok, body: BanList(bans: flood.bans(at: now).map { BanBody($0, now: now) }))
    }

    /// `DELETE /sipfence/v1/bans/{address}`: lifts the ban that covers `address` (for an
    /// IPv6 ban, any address of its prefix) and answers 204; 404 when none does.
    /// Operator accounts only.
    @Sendable func liftBan(_ request: Request, context: ManagementRequestContext) async throws -> Response {
        let flood = try operatorFloodGuard(request, context)
        guard let text = context.parameters.get("address")?.removingPercentEncoding else {
            throw TwilioError.notFound(request.uri.path)
        }
        let address: IPAddress
        do {
            address = try IPAddress(text)
        } catch {
            throw TwilioError.invalidParameter("address", "\(String(reflecting: text)) is not an IP address: \(error)")
        }
        guard let ban = flood.lift(address) else { throw TwilioError.notFound(request.uri.path) }
        context.logger.notice(
            "flood ban lifted: source \(ban.address) prefix \(ban.source) by \(context.authenticatedAccount.map { "\($0)" } ?? "-")")
        return Response(status: .noContent)
    }

    /// The flood guard, for an operator account.
    ///
    /// - Throws: ``TwilioError`` 404 when the API has no flood guard, 403 for an account
    ///   that is not an operator.
    private func operatorFloodGuard(_ request: Request, _ context: ManagementRequestContext) throws(TwilioError) -> FloodGuard {
        guard let floodGuard, context.authenticatedAccount != nil else { throw .notFound(request.uri.path) }
        guard context.isOperator else {
            throw .forbidden(request.uri.path, "flood bans are global to the node; they need an operator account (accounts[].operator: true)")
        }
        return floodGuard
    }
}

/// The body of `GET /sipfence/v1/bans`.
struct BanList: Encodable, Sendable {
    let bans: [BanBody]
}

/// One ban as `/sipfence/v1/bans` shows it; dates as Twilio writes them (RFC 2822, GMT).
struct BanBody: Encodable, Sendable {
    let source: String
    let address: String
    let transport: String
    let reason: String
    let dateCreated: String
    let dateExpires: String
    let secondsRemaining: Int
    let offences: Int
    let dropped: Int

    init(_ ban: FloodBan, now: Double) {
        source = ban.source.description
        address = ban.address.description
        transport = ban.transport.rawValue.lowercased()
        reason = ban.reason.rawValue
        dateCreated = RFC2822Date.string(from: Date(timeIntervalSince1970: ban.since))
        dateExpires = RFC2822Date.string(from: Date(timeIntervalSince1970: ban.until))
        secondsRemaining = max(0, Int((ban.until - now).rounded(.up)))
        offences = ban.offences
        dropped = ban.dropped
    }

    enum CodingKeys: String, CodingKey {
        case source, address, transport, reason, offences, dropped
        case dateCreated = "date_created", dateExpires = "date_expires", secondsRemaining = "seconds_remaining"
    }
}
