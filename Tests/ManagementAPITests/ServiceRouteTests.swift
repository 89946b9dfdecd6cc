import AccessControl
import Foundation
import Hummingbird
import TestSupport
import Testing

@testable import ManagementAPI

@Suite("Management API service routes: /healthz, /sipfence/v1/check, /metrics")
struct ServiceRouteTests {
    @Test("/healthz answers without credentials with the live and stored generations")
    func health() async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            _ = try await client.createList("l")
            let response = try await client.send(.get, "/healthz", as: nil)
            #expect(response.status == .ok)
            #expect(
                response.json
                    == .object([
                        "status": .string("ok"), "store": .string("ok"), "policy_generation": .number(0),
                        "store_generation": .number(1),
                    ]))
            try await client.send(.post, "/healthz", as: nil).expectError(.methodNotAllowed, code: 20004)
        }
    }

    @Test("/healthz reports a store it cannot read with 503, and the policy still enforced")
    func healthWithoutStore() async throws {
        try await ScratchStore.withPath { path in
            let harness = try await APITestHarness(storePath: path)
            try await harness.run { client in
                _ = try await client.createList("l")
                try await harness.recompile()
                // The file is replaced by something that is not a database (as a failed disk or
                // an operator's mistake would leave it); the open connections can no longer read it.
                for suffix in ["", "-wal", "-shm"] {
                    try Data("not a database".utf8).write(to: URL(fileURLWithPath: path + suffix))
                }
                let response = try await client.send(.get, "/healthz", as: nil)
                #expect(response.status == .serviceUnavailable, "\(response.bodyText)")
                #expect(
                    response.json
                        == .object([
                            "status": .string("store_unavailable"), "store": .string("unavailable"),
                            "policy_generation": .number(1), "store_generation": .null,
                        ]), "\(response.bodyText)")
            }
        }
    }

    @Test("/metrics serves the supplied text without credentials, and only when supplied")
    func metrics() async throws {
        let harness = try await APITestHarness(metrics: { "sipfence_invites_total 3\n" })
        try await harness.run { client in
            let response = try await client.send(.get, "/metrics", as: nil)
            #expect(response.status == .ok)
            #expect(response.bodyText == "sipfence_invites_total 3\n")
            #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
        }
        try await APITestHarness().run { client in
            try await client.send(.get, "/metrics", as: nil).expectError(.unauthorized, code: 20003)
            try await client.send(.get, "/metrics").expectError(.notFound, code: 20404)
        }
    }

    @Test("/sipfence/v1/check says challenge where digest credentials are required", arguments: [AuthenticationMode.all, .any])
    func checkChallenge(mode: AuthenticationMode) async throws {
        let harness = try await APITestHarness(authenticationMode: mode)
        try await harness.run { client in
            let sip = APITestHarness.sip()
            let both = try await client.createDomain("both.example.com")
            let digestOnly = try await client.createDomain("phones.example.com")
            let list = try await client.createList("carriers")
            _ = try await client.createAddress("192.0.2.0/24", in: list)
            let phones = try await client.createCredentialList("phones")
            _ = try await client.createCredential("alice", in: phones)
            _ = try await client.send(
                .post, "\(sip)/Domains/\(both)/Auth/Calls/IpAccessControlListMappings.json",
                form: [("IpAccessControlListSid", list)])
            for domain in [both, digestOnly] {
                _ = try await client.send(
                    .post, "\(sip)/Domains/\(domain)/Auth/Calls/CredentialListMappings.json",
                    form: [("CredentialListSid", phones)])
            }
            try await harness.recompile()
            func check(_ domain: String, _ source: String) async throws -> (String?, String?) {
                let answer = try await client.send(.get, "/sipfence/v1/check?domain=\(domain)&source=\(source)")
                return (answer.json?["verdict"]?.string, answer.json?["reason"]?.string)
            }
            let inside = try await check("both.example.com", "192.0.2.7")
            let outside = try await check("both.example.com", "198.51.100.1")
            switch mode {
            case .all:
                #expect(inside == ("challenge", "source_in_list_credentials_required"))
                #expect(outside == ("reject", "source_not_in_any_list"))
            case .any:
                #expect(inside == ("admit", "source_in_list"))
                #expect(outside == ("challenge", "credentials_required"))
            }
            #expect(try await check("phones.example.com", "198.51.100.1") == ("challenge", "credentials_required"))
        }
    }

    @Test("/sipfence/v1/check answers from the live policy for the caller's own domains only")
    func check() async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let sip = APITestHarness.sip()
            let domain = try await client.createDomain("trunk.example.com")
            _ = try await client.createDomain("closed.example.com")
            _ = try await client.createDomain("bob.example.com", as: APITestHarness.bob)
            let list = try await client.createList("carriers")
            _ = try await client.createAddress("192.0.2.0/24", in: list)
            _ = try await client.send(
                .post, "\(sip)/Domains/\(domain)/IpAccessControlListMappings.json",
                form: [("IpAccessControlListSid", list)])

            // Before the daemon recompiles, the live policy does not know the domain yet.
            let stale = try await client.send(.get, "/sipfence/v1/check?domain=trunk.example.com&source=192.0.2.7")
            #expect(stale.json?["reason"]?.string == "unknown_domain")
            #expect(stale.json?["policy_generation"]?.int == 0)

            try await harness.recompile()
            let admitted = try await client.send(.get, "/sipfence/v1/check?domain=TRUNK.example.com.&source=192.0.2.7")
            #expect(admitted.status == .ok)
            #expect(
                admitted.json
                    == .object([
                        "domain": .string("trunk.example.com"), "source": .string("192.0.2.7"),
                        "verdict": .string("admit"),
                        "reason": .string("source_in_list"), "ip_access_control_list_sid": .string(list),
                        "prefix": .string("192.0.2.0/24"), "policy_generation": .number(6),
                    ]))
            let rejected = try await client.send(
                .get, "/sipfence/v1/check?domain=trunk.example.com&source=198.51.100.1")
            #expect(rejected.json?["verdict"]?.string == "reject")
            #expect(rejected.json?["reason"]?.string == "source_not_in_any_list")
            #expect(rejected.json?["ip_access_control_list_sid"]?.isNull == true)
            #expect(rejected.json?["prefix"]?.isNull == true)
            let closed = try await client.send(.get, "/sipfence/v1/check?domain=closed.example.com&source=192.0.2.7")
            #expect(closed.json?["reason"]?.string == "no_list_mapped")
            let v6 = try await client.send(.get, "/sipfence/v1/check?domain=trunk.example.com&source=::ffff:192.0.2.7")
            #expect(v6.json?["verdict"]?.string == "admit")
            // Bob's domain exists in the policy but is not Alice's to ask about.
            let others = try await client.send(.get, "/sipfence/v1/check?domain=bob.example.com&source=192.0.2.7")
            #expect(others.json?["reason"]?.string == "unknown_domain")
            #expect(
                try await client.send(
                    .get, "/sipfence/v1/check?domain=bob.example.com&source=192.0.2.7", as: APITestHarness.bob
                )
                .json?["reason"]?.string == "no_list_mapped")

            try await client.send(.get, "/sipfence/v1/check?domain=trunk.example.com&source=192.0.2.7", as: nil)
                .expectError(.unauthorized, code: 20003)
            for (query, parameter) in [
                ("source=192.0.2.7", "domain"), ("domain=trunk.example.com", "source"),
                ("domain=bad_name&source=192.0.2.7", "domain"),
                ("domain=trunk.example.com&source=192.0.2.300", "source"),
            ] {
                let message = try await client.send(.get, "/sipfence/v1/check?\(query)").expectError(
                    .badRequest, code: 21234)
                #expect(message.contains(parameter), "\(message)")
            }
        }
    }
}
