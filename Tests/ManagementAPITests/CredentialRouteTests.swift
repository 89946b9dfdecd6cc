import AccessControl
import Foundation
import Hummingbird
import PolicyStore
import Testing

@testable import ManagementAPI

@Suite("Management API credential lists, credentials and credential list mappings")
struct CredentialRouteTests {
    static let credentialKeys: Set<String> = [
        "sid", "account_sid", "credential_list_sid", "username", "date_created", "date_updated", "uri",
    ]

    @Test("CredentialLists: create, fetch, update, list, delete")
    func credentialLists() async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let sip = APITestHarness.sip()
            let created = try await client.send(
                .post, "\(sip)/CredentialLists.json", form: [("FriendlyName", "Low Rises"), ("Other", "ignored")])
            #expect(created.status == .created, "\(created.bodyText)")
            let list = try #require(created.json)
            #expect(
                list.keys == [
                    "sid", "account_sid", "friendly_name", "date_created", "date_updated", "uri", "subresource_uris",
                ])
            let sid = try #require(list["sid"]?.string)
            #expect(sid.hasPrefix("CL") && sid.count == 34)
            #expect(list["account_sid"]?.string == APITestHarness.alice.rawValue)
            #expect(list["friendly_name"]?.string == "Low Rises")
            #expect(list["date_created"]?.string == "Thu, 30 Jul 2015 20:00:00 +0000")
            #expect(list["uri"]?.string == "\(sip)/CredentialLists/\(sid).json")
            #expect(
                list["subresource_uris"]
                    == .object(["credentials": .string("\(sip)/CredentialLists/\(sid)/Credentials.json")]))
            #expect(try await client.send(.get, "\(sip)/CredentialLists/\(sid).json").json == list)
            // Upper-case hex digits name the same list.
            #expect(
                try await client.send(.get, "\(sip)/CredentialLists/CL\(sid.dropFirst(2).uppercased()).json").status
                    == .ok)

            harness.clock.advance(by: 60)
            let updated = try await client.send(
                .post, "\(sip)/CredentialLists/\(sid).json", form: [("FriendlyName", "High Rises")])
            #expect(updated.status == .ok)
            #expect(updated.json?["friendly_name"]?.string == "High Rises")
            #expect(updated.json?["date_updated"]?.string == "Thu, 30 Jul 2015 20:01:00 +0000")
            let listed = try await client.send(.get, "\(sip)/CredentialLists.json")
            #expect(listed.json?["credential_lists"]?.array == [try #require(updated.json)])

            #expect(try await client.send(.delete, "\(sip)/CredentialLists/\(sid).json").status == .noContent)
            try await client.send(.get, "\(sip)/CredentialLists/\(sid).json").expectError(.notFound, code: 20404)
        }
    }

    @Test("Credentials: create, fetch, change the password, list, delete; no password or hash is ever shown")
    func credentials() async throws {
        let harness = try await APITestHarness(digestRealm: "pbx.example.com")
        try await harness.run { client in
            let list = try await client.createCredentialList("phones")
            let base = "\(APITestHarness.sip())/CredentialLists/\(list)/Credentials"
            let created = try await client.createCredential("alice", password: "IWasAtSignal2018", in: list)
            #expect(created.status == .created, "\(created.bodyText)")
            let credential = try #require(created.json)
            #expect(credential.keys == Self.credentialKeys)
            let sid = try #require(credential["sid"]?.string)
            #expect(sid.hasPrefix("CR"))
            #expect(credential["username"]?.string == "alice")
            #expect(credential["credential_list_sid"]?.string == list)
            #expect(credential["uri"]?.string == "\(base)/\(sid).json")
            #expect(!created.bodyText.contains("IWasAtSignal2018"))

            // The store holds the HA1s for the configured realm, and nothing else.
            let listSID = try #require(SID(list, kind: .credentialList))
            let credentialSID = try #require(SID(sid, kind: .credential))
            let stored = try await harness.store.credential(credentialSID, list: listSID, account: APITestHarness.alice)
            #expect(stored.secret.realm == "pbx.example.com")
            #expect(
                stored.secret.ha1MD5
                    == DigestAlgorithm.md5.ha1(
                        username: "alice", realm: "pbx.example.com", password: "IWasAtSignal2018"))
            #expect(
                stored.secret.ha1SHA256
                    == DigestAlgorithm.sha256.ha1(
                        username: "alice", realm: "pbx.example.com", password: "IWasAtSignal2018"))
            #expect(!created.bodyText.contains(stored.secret.ha1MD5))

            #expect(try await client.send(.get, "\(base)/\(sid).json").json == credential)

            harness.clock.advance(by: 60)
            let changed = try await client.send(
                .post, "\(base)/\(sid).json", form: [("Password", "NewPassword2019"), ("Username", "ignored")])
            #expect(changed.status == .ok, "\(changed.bodyText)")
            #expect(changed.json?.keys == Self.credentialKeys)
            #expect(changed.json?["username"]?.string == "alice")
            #expect(changed.json?["date_updated"]?.string == "Thu, 30 Jul 2015 20:01:00 +0000")
            let rehashed = try await harness.store.credential(
                credentialSID, list: listSID, account: APITestHarness.alice)
            #expect(
                rehashed.secret.ha1MD5
                    == DigestAlgorithm.md5.ha1(username: "alice", realm: "pbx.example.com", password: "NewPassword2019")
            )

            // Without a Password, an update changes nothing.
            let generation = try await harness.store.generation()
            let unchanged = try await client.send(.post, "\(base)/\(sid).json", form: [])
            #expect(unchanged.status == .ok)
            #expect(unchanged.json == changed.json)
            #expect(try await harness.store.generation() == generation)

            let listed = try await client.send(.get, "\(base).json")
            #expect(listed.json?["credentials"]?.array == [try #require(changed.json)])
            #expect(try await client.send(.delete, "\(base)/\(sid).json").status == .noContent)
            try await client.send(.get, "\(base)/\(sid).json").expectError(.notFound, code: 20404)
        }
    }

    @Test(
        "weak or missing passwords get 400 naming Password, without echoing it",
        arguments: [
            [("Username", "alice")],
            [("Username", "alice"), ("Password", "")],
            [("Username", "alice"), ("Password", "Short1Pass")],
            [("Username", "alice"), ("Password", "alllowercase123")],
            [("Username", "alice"), ("Password", "ALLUPPERCASE123")],
            [("Username", "alice"), ("Password", "NoDigitsAtAllHere")],
        ] as [[(String, String)]])
    func weakPasswords(form: [(String, String)]) async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let list = try await client.createCredentialList("phones")
            let generation = try await harness.store.generation()
            let response = try await client.send(
                .post, "\(APITestHarness.sip())/CredentialLists/\(list)/Credentials.json", form: form)
            let message = response.expectError(.badRequest, code: 21234)
            #expect(message.contains("Password"), "\(message)")
            if let password = form.first(where: { $0.0 == "Password" })?.1, !password.isEmpty {
                #expect(!message.contains(password))
            }
            #expect(try await harness.store.generation() == generation)
        }
    }

    @Test("a weak password is refused on update too, and the old one stays")
    func weakPasswordUpdate() async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let list = try await client.createCredentialList("phones")
            let sid = try #require(try await client.createCredential("alice", in: list).json?["sid"]?.string)
            let generation = try await harness.store.generation()
            let response = try await client.send(
                .post, "\(APITestHarness.sip())/CredentialLists/\(list)/Credentials/\(sid).json",
                form: [("Password", "weak")])
            #expect(response.expectError(.badRequest, code: 21234).contains("Password"))
            #expect(try await harness.store.generation() == generation)
        }
    }

    @Test(
        "invalid, missing or taken usernames get 400 naming Username",
        arguments: ["", String(repeating: "u", count: 33), "quote\"d", "back\\slash", "new\nline", "taken"])
    func invalidUsernames(username: String) async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let list = try await client.createCredentialList("phones")
            #expect(try await client.createCredential("taken", in: list).status == .created)
            let response = try await client.createCredential(username, in: list)
            #expect(response.expectError(.badRequest, code: 21234).contains("Username"))
        }
    }

    @Test("CredentialList FriendlyName is required and at most 64 characters, on create and update")
    func friendlyNames() async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let sip = APITestHarness.sip()
            let list = try await client.createCredentialList(String(repeating: "n", count: 64))
            for path in ["\(sip)/CredentialLists.json", "\(sip)/CredentialLists/\(list).json"] {
                for form in [[], [("FriendlyName", "")], [("FriendlyName", String(repeating: "n", count: 65))]] {
                    let response = try await client.send(.post, path, form: form)
                    #expect(response.expectError(.badRequest, code: 21234).contains("FriendlyName"), "\(path) \(form)")
                }
            }
            #expect(try await harness.store.generation() == 1)
        }
    }

    @Test(
        "all three kinds of credential list mapping: create, fetch, list, delete, with their own shapes",
        arguments: [
            ("CredentialListMappings", "credential_list_mappings", true),
            ("Auth/Calls/CredentialListMappings", "contents", false),
            ("Auth/Registrations/CredentialListMappings", "contents", false),
        ])
    func mappings(path: String, key: String, legacy: Bool) async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let sip = APITestHarness.sip()
            let domain = try await client.createDomain("pbx.example.com")
            let list = try await client.createCredentialList("phones")
            let base = "\(sip)/Domains/\(domain)/\(path)"

            let created = try await client.send(.post, "\(base).json", form: [("CredentialListSid", list)])
            #expect(created.status == .created, "\(created.bodyText)")
            let mapping = try #require(created.json)
            if legacy {
                #expect(
                    mapping.keys == [
                        "account_sid", "date_created", "date_updated", "domain_sid", "friendly_name", "sid", "uri",
                    ])
                #expect(mapping["domain_sid"]?.string == domain)
                #expect(mapping["uri"]?.string == "\(base)/\(list).json")
            } else {
                #expect(mapping.keys == ["account_sid", "date_created", "date_updated", "friendly_name", "sid"])
            }
            #expect(mapping["sid"]?.string == list)
            #expect(mapping["friendly_name"]?.string == "phones")
            #expect(mapping["account_sid"]?.string == APITestHarness.alice.rawValue)

            #expect(try await client.send(.get, "\(base)/\(list).json").json == mapping)
            #expect(try await client.send(.get, "\(base).json").json?[key]?.array == [mapping])
            let twice = try await client.send(.post, "\(base).json", form: [("CredentialListSid", list)])
            #expect(twice.expectError(.badRequest, code: 21231).hasPrefix("Domain Validation Error"))

            #expect(try await client.send(.delete, "\(base)/\(list).json").status == .noContent)
            try await client.send(.get, "\(base)/\(list).json").expectError(.notFound, code: 20404)
            try await client.send(.delete, "\(base)/\(list).json").expectError(.notFound, code: 20404)
            #expect(try await client.send(.get, "\(base).json").json?[key]?.array == [])
        }
    }

    @Test("CredentialListSid must be a CL SID of the account's")
    func mappingParameters() async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let sip = APITestHarness.sip()
            let domain = try await client.createDomain("pbx.example.com")
            let ipList = try await client.createList("office")
            let bobsList = try await client.createCredentialList("bob's", as: APITestHarness.bob)
            for path in [
                "CredentialListMappings", "Auth/Calls/CredentialListMappings",
                "Auth/Registrations/CredentialListMappings",
            ] {
                let mappings = "\(sip)/Domains/\(domain)/\(path).json"
                let missing = try await client.send(.post, mappings, form: [])
                #expect(missing.expectError(.badRequest, code: 21231).contains("CredentialListSid"))
                for bad in ["", "CL123", "CL00000000000000000000000000000000", ipList, domain, bobsList] {
                    let response = try await client.send(.post, mappings, form: [("CredentialListSid", bad)])
                    #expect(response.expectError(.badRequest, code: 21231).contains("CredentialListSid"), "\(bad)")
                }
            }
            #expect(try await harness.store.generation() == 3)
        }
    }

    @Test("auth_type reads the kinds of call authentication mapped: empty, CREDENTIAL_LIST, IP_ACL or both")
    func authType() async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let sip = APITestHarness.sip()
            let domain = try await client.createDomain("pbx.example.com")
            let credentials = try await client.createCredentialList("phones")
            let ipList = try await client.createList("office")
            func authType() async throws -> String? {
                try await client.send(.get, "\(sip)/Domains/\(domain).json").json?["auth_type"]?.string
            }
            #expect(try await authType() == "")

            // Registration mappings authenticate REGISTER, not calls.
            _ = try await client.send(
                .post, "\(sip)/Domains/\(domain)/Auth/Registrations/CredentialListMappings.json",
                form: [("CredentialListSid", credentials)])
            #expect(try await authType() == "")

            for path in ["CredentialListMappings", "Auth/Calls/CredentialListMappings"] {
                let mappings = "\(sip)/Domains/\(domain)/\(path)"
                _ = try await client.send(.post, "\(mappings).json", form: [("CredentialListSid", credentials)])
                #expect(try await authType() == "CREDENTIAL_LIST", "\(path)")
                _ = try await client.send(
                    .post, "\(sip)/Domains/\(domain)/IpAccessControlListMappings.json",
                    form: [("IpAccessControlListSid", ipList)])
                #expect(try await authType() == "CREDENTIAL_LIST,IP_ACL", "\(path)")
                _ = try await client.send(.delete, "\(mappings)/\(credentials).json")
                #expect(try await authType() == "IP_ACL", "\(path)")
                _ = try await client.send(
                    .delete, "\(sip)/Domains/\(domain)/IpAccessControlListMappings/\(ipList).json")
                #expect(try await authType() == "")
            }

            // The domain's credential_list_mappings subresource answers.
            let domainJSON = try #require(try await client.send(.get, "\(sip)/Domains/\(domain).json").json)
            let subresource = try #require(domainJSON["subresource_uris"]?["credential_list_mappings"]?.string)
            let page = try await client.send(.get, subresource)
            #expect(page.status == .ok)
            #expect(page.json?["credential_list_mappings"]?.array == [])
        }
    }

    @Test("deleting a credential list removes its credentials and its mappings")
    func cascade() async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let sip = APITestHarness.sip()
            let domain = try await client.createDomain("pbx.example.com")
            let list = try await client.createCredentialList("phones")
            let credential = try #require(try await client.createCredential("alice", in: list).json?["sid"]?.string)
            _ = try await client.send(
                .post, "\(sip)/Domains/\(domain)/Auth/Calls/CredentialListMappings.json",
                form: [("CredentialListSid", list)])
            #expect(try await client.send(.delete, "\(sip)/CredentialLists/\(list).json").status == .noContent)
            try await client.send(.get, "\(sip)/CredentialLists/\(list)/Credentials/\(credential).json")
                .expectError(.notFound, code: 20404)
            #expect(
                try await client.send(.get, "\(sip)/Domains/\(domain)/Auth/Calls/CredentialListMappings.json")
                    .json?["contents"]?.array == [])
            #expect(try await client.send(.get, "\(sip)/Domains/\(domain).json").json?["auth_type"]?.string == "")
        }
    }

    @Test("unknown credential resources get 404 naming the path")
    func notFound() async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let sip = APITestHarness.sip()
            let list = try await client.createCredentialList("phones")
            let ipList = try await client.createList("office")
            let domain = try await client.createDomain("pbx.example.com")
            for path in [
                "\(sip)/CredentialLists/CL00000000000000000000000000000000.json",
                "\(sip)/CredentialLists/\(ipList).json",
                "\(sip)/CredentialLists/not-a-sid.json",
                "\(sip)/CredentialLists/CL00000000000000000000000000000000/Credentials.json",
                "\(sip)/CredentialLists/\(list)/Credentials/CR00000000000000000000000000000000.json",
                "\(sip)/CredentialLists/\(list)/Credentials/IP00000000000000000000000000000000.json",
                "\(sip)/Domains/SD00000000000000000000000000000000/CredentialListMappings.json",
                "\(sip)/Domains/\(domain)/CredentialListMappings/\(list).json",
                "\(sip)/Domains/\(domain)/Auth/Registrations/CredentialListMappings/\(ipList).json",
                "\(sip)/Domains/\(domain)/Auth/Registrations/IpAccessControlListMappings.json",
            ] {
                let message = try await client.send(.get, path).expectError(.notFound, code: 20404)
                #expect(message == "The requested resource \(path) was not found")
            }
        }
    }

    @Test(
        "wrong methods on credential resources get 405 with Allow",
        arguments: [
            (HTTPRequest.Method.put, "/CredentialLists.json", "GET, POST"),
            (.patch, "/CredentialLists/CL00000000000000000000000000000000.json", "GET, POST, DELETE"),
            (.delete, "/CredentialLists/CL00000000000000000000000000000000/Credentials.json", "GET, POST"),
            (
                .put,
                "/CredentialLists/CL00000000000000000000000000000000/Credentials/CR00000000000000000000000000000000.json",
                "GET, POST, DELETE"
            ),
            (.delete, "/Domains/SD00000000000000000000000000000000/CredentialListMappings.json", "GET, POST"),
            (
                .post,
                "/Domains/SD00000000000000000000000000000000/Auth/Calls/CredentialListMappings/CL00000000000000000000000000000000.json",
                "GET, DELETE"
            ),
            (
                .post,
                "/Domains/SD00000000000000000000000000000000/Auth/Registrations/CredentialListMappings/CL00000000000000000000000000000000.json",
                "GET, DELETE"
            ),
        ])
    func methodNotAllowed(method: HTTPRequest.Method, path: String, allow: String) async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let response = try await client.send(method, APITestHarness.sip() + path)
            response.expectError(.methodNotAllowed, code: 20004)
            #expect(Set((response.headers[.allow] ?? "").split(separator: ", ")) == Set(allow.split(separator: ", ")))
        }
    }

    @Test("credential lists, credentials and the three mapping kinds page with Twilio's envelope")
    func paging() async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let sip = APITestHarness.sip()
            let domain = try await client.createDomain("pbx.example.com")
            var lists: [String] = []
            for index in 0..<3 {
                let list = try await client.createCredentialList("list \(index)")
                lists.append(list)
                _ = try await client.createCredential("user\(index)", in: lists[0])
                for kind in [
                    "CredentialListMappings", "Auth/Calls/CredentialListMappings",
                    "Auth/Registrations/CredentialListMappings",
                ] {
                    _ = try await client.send(
                        .post, "\(sip)/Domains/\(domain)/\(kind).json", form: [("CredentialListSid", list)])
                }
            }
            let sortedLists = lists.sorted()
            let first = try #require(try await client.send(.get, "\(sip)/CredentialLists.json?PageSize=2").json)
            #expect(
                first.keys == [
                    "credential_lists", "uri", "first_page_uri", "next_page_uri", "previous_page_uri", "page",
                    "page_size", "start", "end",
                ])
            #expect(first["credential_lists"]?.array?.compactMap { $0["sid"]?.string } == Array(sortedLists[0..<2]))
            #expect(
                first["next_page_uri"]?.string
                    == "\(sip)/CredentialLists.json?PageSize=2&Page=1&PageToken=PA\(sortedLists[1])")

            for (path, key) in [
                ("\(sip)/CredentialLists.json", "credential_lists"),
                ("\(sip)/CredentialLists/\(lists[0])/Credentials.json", "credentials"),
                ("\(sip)/Domains/\(domain)/CredentialListMappings.json", "credential_list_mappings"),
                ("\(sip)/Domains/\(domain)/Auth/Calls/CredentialListMappings.json", "contents"),
                ("\(sip)/Domains/\(domain)/Auth/Registrations/CredentialListMappings.json", "contents"),
            ] {
                let page = try #require(try await client.send(.get, "\(path)?PageSize=2").json)
                #expect(page[key]?.array?.count == 2, "\(path)")
                #expect(page["uri"]?.string == "\(path)?PageSize=2&Page=0")
                let nextURI = try #require(page["next_page_uri"]?.string)
                let next = try #require(try await client.send(.get, nextURI).json)
                #expect(next[key]?.array?.count == 1, "\(path)")
                #expect(next["next_page_uri"]?.isNull == true)
                #expect(next["previous_page_uri"]?.string == "\(path)?PageSize=2&Page=0")
                // Page without a token is an offset.
                #expect(try await client.send(.get, "\(path)?PageSize=2&Page=1").json?[key]?.array?.count == 1)
                // A token of another kind of record is refused.
                try await client.send(.get, "\(path)?PageToken=PASD00000000000000000000000000000000")
                    .expectError(.badRequest, code: 21481)
            }
        }
    }

    @Test("another account's credential lists, credentials and mappings are invisible and untouchable")
    func isolation() async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let alice = APITestHarness.sip(APITestHarness.alice)
            let bob = APITestHarness.sip(APITestHarness.bob)
            let domain = try await client.createDomain("alice.example.com")
            let list = try await client.createCredentialList("alice's")
            let credential = try #require(try await client.createCredential("alice", in: list).json?["sid"]?.string)
            _ = try await client.send(
                .post, "\(alice)/Domains/\(domain)/Auth/Calls/CredentialListMappings.json",
                form: [("CredentialListSid", list)])
            let generation = try await harness.store.generation()

            // Bob's credentials on Alice's paths.
            for (method, path) in [
                (HTTPRequest.Method.get, "\(alice)/CredentialLists.json"),
                (.get, "\(alice)/CredentialLists/\(list).json"),
                (.delete, "\(alice)/CredentialLists/\(list).json"),
                (.get, "\(alice)/CredentialLists/\(list)/Credentials/\(credential).json"),
                (.post, "\(alice)/CredentialLists/\(list)/Credentials/\(credential).json"),
                (.get, "\(alice)/Domains/\(domain)/Auth/Calls/CredentialListMappings.json"),
                (.delete, "\(alice)/Domains/\(domain)/Auth/Calls/CredentialListMappings/\(list).json"),
            ] {
                try await client.send(
                    method, path, as: APITestHarness.bob,
                    form: method == .post ? [("Password", "Bobs0wnPassword")] : nil
                ).expectError(.notFound, code: 20404)
            }
            // Alice's SIDs under Bob's own path.
            try await client.send(.get, "\(bob)/CredentialLists/\(list).json", as: APITestHarness.bob)
                .expectError(.notFound, code: 20404)
            try await client.send(
                .post, "\(bob)/CredentialLists/\(list)/Credentials.json", as: APITestHarness.bob,
                form: [("Username", "bob"), ("Password", "Bobs0wnPassword")]
            ).expectError(.notFound, code: 20404)
            #expect(
                try await client.send(.get, "\(bob)/CredentialLists.json", as: APITestHarness.bob)
                    .json?["credential_lists"]?.array == [])
            // Bob cannot map Alice's list to his own domain.
            let bobsDomain = try await client.createDomain("bob.example.com", as: APITestHarness.bob)
            try await client.send(
                .post, "\(bob)/Domains/\(bobsDomain)/CredentialListMappings.json", as: APITestHarness.bob,
                form: [("CredentialListSid", list)]
            ).expectError(.badRequest, code: 21231)

            #expect(try await harness.store.generation() == generation + 1)  // Bob's domain only
            #expect(
                try await client.send(.get, "\(alice)/CredentialLists/\(list)/Credentials/\(credential).json").status
                    == .ok)
        }
    }

    @Test("a digest realm that cannot be one is refused when the API is made", arguments: ["", "a\"b", "line\nbreak"])
    func invalidRealm(realm: String) async throws {
        await #expect(throws: ManagementAPIConfigurationError.self) { try await APITestHarness(digestRealm: realm) }
    }
}
