import AccessControl
import Admission
import Foundation
import Hummingbird
import PolicyStore
import Testing

@testable import ManagementAPI

/// `/sipfence/v1/bans`: the node's flood bans, listed and lifted by operator accounts only.
@Suite("Management API: flood bans")
struct BanRouteTests {
    /// A guard with two bans in force now: 203.0.113.7 over TCP (request rate) and the
    /// /64 of 2001:db8:1:2::9 over UDP (digest failures).
    static func bannedGuard() -> FloodGuard {
        let limits = FloodLimits(unknownSourceRate: 10, unknownSourceBurst: 1, banAfter: 1, banDuration: 600, digestFailuresPerMinute: 1)
        let guardian = FloodGuard(limits: limits)
        let now = Date().timeIntervalSince1970
        for index in 0..<300 {
            _ = guardian.screen(
                try! IPAddress("203.0.113.7"), transport: .tcp, standing: .unknown, at: now - 10 + Double(index) * 0.01)
        }
        for offset in 0..<2 {
            _ = guardian.recordDigestFailure(
                from: try! IPAddress("2001:db8:1:2::9"), transport: .udp, standing: .unknown, at: now - 5 + Double(offset))
        }
        return guardian
    }

    @Test("an operator lists the bans with reason, transport, counts and expiry")
    func list() async throws {
        let harness = try await APITestHarness(operators: [APITestHarness.alice], floodGuard: Self.bannedGuard())
        try await harness.run { client in
            let response = try await client.send(.get, "/sipfence/v1/bans")
            #expect(response.status == .ok, "\(response.bodyText)")
            let bans = try #require(response.json?["bans"]?.array)
            #expect(bans.count == 2)
            let first = try #require(bans.first)
            #expect(first["source"]?.string == "203.0.113.7/32")
            #expect(first["address"]?.string == "203.0.113.7")
            #expect(first["transport"]?.string == "tcp")
            #expect(first["reason"]?.string == "request_rate")
            #expect((first["offences"]?.int ?? 0) > 0)
            #expect(first["dropped"]?.int != nil)
            #expect(first["date_created"]?.string?.hasSuffix(" +0000") == true)
            #expect(first["date_expires"]?.string?.hasSuffix(" +0000") == true)
            #expect((590...600).contains(first["seconds_remaining"]?.int ?? 0))
            #expect(bans.last?["source"]?.string == "2001:db8:1:2::/64")
            #expect(bans.last?["transport"]?.string == "udp")
            #expect(bans.last?["reason"]?.string == "digest_failures")
        }
    }

    @Test("an operator lifts a ban by an address it covers; a second lift is 404; a bad address is 400")
    func lift() async throws {
        let guardian = Self.bannedGuard()
        let harness = try await APITestHarness(operators: [APITestHarness.alice], floodGuard: guardian)
        try await harness.run { client in
            #expect(try await client.send(.delete, "/sipfence/v1/bans/2001:db8:1:2::ffff").status == .noContent)
            #expect(try await client.send(.delete, "/sipfence/v1/bans/203.0.113.7").status == .noContent)
            #expect(guardian.bans(at: Date().timeIntervalSince1970).isEmpty)
            try await client.send(.delete, "/sipfence/v1/bans/203.0.113.7").expectError(.notFound, code: 20404)
            let message = try await client.send(.delete, "/sipfence/v1/bans/not-an-address").expectError(.badRequest, code: 21234)
            #expect(message.contains("address"))
            let list = try await client.send(.get, "/sipfence/v1/bans")
            #expect(list.json == .object(["bans": .array([])]))
            try await client.send(.post, "/sipfence/v1/bans").expectError(.methodNotAllowed, code: 20004)
        }
    }

    @Test("an account that is not an operator gets 403 with a Twilio body; without credentials 401")
    func forbidden() async throws {
        let guardian = Self.bannedGuard()
        let harness = try await APITestHarness(operators: [APITestHarness.alice], floodGuard: guardian)
        try await harness.run { client in
            let message = try await client.send(.get, "/sipfence/v1/bans", as: APITestHarness.bob).expectError(.forbidden, code: 20403)
            #expect(message.contains("operator"))
            try await client.send(.delete, "/sipfence/v1/bans/203.0.113.7", as: APITestHarness.bob).expectError(.forbidden, code: 20403)
            #expect(guardian.bans(at: Date().timeIntervalSince1970).count == 2)
            try await client.send(.get, "/sipfence/v1/bans", as: nil).expectError(.unauthorized, code: 20003)
        }
    }

    @Test("an operator that is not a configured account is a configuration error")
    func operatorMustBeAnAccount() async throws {
        let stranger = try #require(SID("AC00000000000000000000000000000ccc", kind: .account))
        await #expect(throws: ManagementAPIConfigurationError.operatorNotAnAccount(stranger)) {
            _ = try await APITestHarness(operators: [stranger])
        }
    }
}
