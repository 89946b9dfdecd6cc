import Foundation
import Hummingbird
import Testing

@testable import ManagementAPI

@Suite("Management API account isolation")
struct IsolationTests {
    @Test("another account's path gets 404 whatever the credentials, and another account's records are invisible")
    func isolation() async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let alice = APITestHarness.sip(APITestHarness.alice)
            let bob = APITestHarness.sip(APITestHarness.bob)
            let domain = try await client.createDomain("alice.example.com")
            let list = try await client.createList("alice's")
            let address = try await client.createAddress("192.0.2.1", in: list).json?["sid"]?.string ?? ""

            // Bob's credentials on Alice's paths: no data, as if nothing were there.
            for (method, path) in [
                (HTTPRequest.Method.get, "\(alice)/Domains.json"), (.get, "\(alice)/Domains/\(domain).json"),
                (.delete, "\(alice)/Domains/\(domain).json"), (.get, "\(alice)/IpAccessControlLists.json"),
                (.post, "\(alice)/IpAccessControlLists.json"),
                (.get, "\(alice)/IpAccessControlLists/\(list)/IpAddresses/\(address).json"),
                (.get, "\(alice)/Domains/\(domain)/Auth/Calls/IpAccessControlListMappings.json"),
            ] {
                try await client.send(
                    method, path, as: APITestHarness.bob, form: method == .post ? [("FriendlyName", "x")] : nil
                )
                .expectError(.notFound, code: 20404)
            }
            // Alice's SIDs under Bob's own path: not found either.
            try await client.send(.get, "\(bob)/Domains/\(domain).json", as: APITestHarness.bob).expectError(
                .notFound, code: 20404)
            try await client.send(.get, "\(bob)/IpAccessControlLists/\(list)/IpAddresses.json", as: APITestHarness.bob)
                .expectError(.notFound, code: 20404)
            try await client.send(.delete, "\(bob)/IpAccessControlLists/\(list).json", as: APITestHarness.bob)
                .expectError(.notFound, code: 20404)
            #expect(
                try await client.send(.get, "\(bob)/Domains.json", as: APITestHarness.bob).json?["domains"]?.array == []
            )

            // Bob cannot map Alice's list to his own domain.
            let bobsDomain = try await client.createDomain("bob.example.com", as: APITestHarness.bob)
            try await client.send(
                .post, "\(bob)/Domains/\(bobsDomain)/IpAccessControlListMappings.json", as: APITestHarness.bob,
                form: [("IpAccessControlListSid", list)]
            ).expectError(.badRequest, code: 21231)

            // Alice's records are intact.
            #expect(try await client.send(.get, "\(alice)/Domains/\(domain).json").status == .ok)
            #expect(
                try await client.send(.get, "\(alice)/IpAccessControlLists/\(list)/IpAddresses/\(address).json").status
                    == .ok)
        }
    }
}
