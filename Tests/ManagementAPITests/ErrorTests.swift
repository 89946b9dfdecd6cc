import Foundation
import Hummingbird
import TestSupport
import Testing

@testable import ManagementAPI

@Suite("Management API errors")
struct ErrorTests {
    @Test("missing or wrong credentials get 401 / 20003")
    func authentication() async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let path = "\(APITestHarness.sip())/Domains.json"
            let none = try await client.send(.get, path, as: nil)
            none.expectError(.unauthorized, code: 20003)
            #expect(none.headers[.wwwAuthenticate] == "Basic realm=\"sipfence\"")
            try await client.send(.get, path, token: "alice-tokeN").expectError(.unauthorized, code: 20003)
            try await client.send(.get, path, token: "alice-token-and-more").expectError(.unauthorized, code: 20003)
            try await client.send(.get, path, as: .random(.account), token: "alice-token").expectError(
                .unauthorized, code: 20003)
            try await client.send(.get, path, as: nil, headers: [.authorization: "Basic !!!"]).expectError(
                .unauthorized, code: 20003)
            try await client.send(.get, path, as: nil, headers: [.authorization: "Bearer alice-token"]).expectError(
                .unauthorized, code: 20003)
            // Unknown paths ask for credentials first, as Twilio does.
            try await client.send(.get, "/nowhere", as: nil).expectError(.unauthorized, code: 20003)
        }
    }

    /// Another process writing the same SQLite file (a large `sipfence policy import`)
    /// holds its write lock; a write that cannot get it within the busy timeout is
    /// answered 503 / 20503, which Twilio's clients treat as "retry", not 500. Reads go on.
    @Test("a write while another writer holds the store beyond the busy timeout gets 503 / 20503; reads go on")
    func storeBusy() async throws {
        try await ScratchStore.withPath { path in
            let harness = try await APITestHarness(storePath: path, busyTimeout: .milliseconds(200))
            try await harness.run { client in
                let domains = "\(APITestHarness.sip())/Domains.json"
                let created = try await client.send(.post, domains, form: [("DomainName", "before.example.com")])
                #expect(created.status == .created, "\(created.bodyText)")

                let lock = try await SQLiteWriteLock(path: path)
                let refused = try await client.send(.post, domains, form: [("DomainName", "during.example.com")])
                let read = try await client.send(.get, domains)
                try await lock.release()

                #expect(refused.expectError(.serviceUnavailable, code: 20503) == "Service Unavailable")
                #expect(read.status == .ok, "\(read.bodyText)")
                let after = try await client.send(.post, domains, form: [("DomainName", "after.example.com")])
                #expect(after.status == .created, "\(after.bodyText)")
            }
        }
    }

    @Test("unknown resources get 404 / 20404 naming the path")
    func notFound() async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let sip = APITestHarness.sip()
            let list = try await client.createList("l")
            for path in [
                "/nowhere", "\(sip)/Domains", "\(sip)/Trunks.json",
                "\(sip)/Domains/SD00000000000000000000000000000000.json",
                "\(sip)/Domains/not-a-sid.json", "\(sip)/Domains/\(list).json",
                "\(sip)/IpAccessControlLists/AL00000000000000000000000000000000/IpAddresses.json",
                "\(sip)/IpAccessControlLists/\(list)/IpAddresses/IP00000000000000000000000000000000.json",
                "\(sip)/Domains/SD00000000000000000000000000000000/IpAccessControlListMappings.json",
                "\(sip)/Domains/SD00000000000000000000000000000000/Auth/Calls/IpAccessControlListMappings/\(list).json",
                "/2010-04-01/Accounts/not-an-account/SIP/Domains.json",
            ] {
                let message = try await client.send(.get, path).expectError(.notFound, code: 20404)
                #expect(message == "The requested resource \(path) was not found")
            }
        }
    }

    @Test(
        "wrong methods get 405 with Allow",
        arguments: [
            (HTTPRequest.Method.put, "/Domains.json", "GET, POST"),
            (.delete, "/Domains.json", "GET, POST"),
            (.patch, "/Domains/SD00000000000000000000000000000000.json", "GET, POST, DELETE"),
            (
                .post,
                "/Domains/SD00000000000000000000000000000000/IpAccessControlListMappings/AL00000000000000000000000000000000.json",
                "GET, DELETE"
            ),
            (.put, "/IpAccessControlLists/AL00000000000000000000000000000000/IpAddresses.json", "GET, POST"),
        ])
    func methodNotAllowed(method: HTTPRequest.Method, path: String, allow: String) async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let response = try await client.send(method, APITestHarness.sip() + path)
            response.expectError(.methodNotAllowed, code: 20004)
            #expect(Set((response.headers[.allow] ?? "").split(separator: ", ")) == Set(allow.split(separator: ", ")))
        }
    }

    @Test(
        "invalid or missing parameters get 400 with the code for them and the parameter's name",
        arguments: [
            ("/Domains.json", [("FriendlyName", "x")], 21232, "DomainName"),
            ("/Domains.json", [("DomainName", "")], 21232, "DomainName"),
            ("/Domains.json", [("DomainName", "bad_name.example.com")], 21232, "DomainName"),
            (
                "/Domains.json",
                [("DomainName", "a.example.com"), ("FriendlyName", String(repeating: "x", count: 65))], 21231,
                "FriendlyName"
            ),
            ("/Domains.json", [("DomainName", "a.example.com"), ("VoiceMethod", "PUT")], 21231, "VoiceMethod"),
            ("/Domains.json", [("DomainName", "a.example.com"), ("Secure", "yes")], 21231, "Secure"),
            ("/Domains.json", [("DomainName", "a.example.com"), ("ByocTrunkSid", "BYnope")], 21231, "ByocTrunkSid"),
            (
                "/Domains.json",
                [("DomainName", "a.example.com"), ("EmergencyCallerSid", "SD0123456789abcdef0123456789abcdef")], 21231,
                "EmergencyCallerSid"
            ),
            ("/Domains.json", [("DomainName", "a.example.com"), ("DomainName", "b.example.com")], 21234, "DomainName"),
            ("/Domains.json", [("DomainName[x]", "a.example.com")], 21234, "DomainName"),
            ("/IpAccessControlLists.json", [], 21234, "FriendlyName"),
            // No stored text holds a NUL (PostgreSQL's text cannot).
            ("/IpAccessControlLists.json", [("FriendlyName", "a\u{0}b")], 21234, "FriendlyName"),
            ("/Domains.json", [("DomainName", "a.example.com"), ("VoiceUrl", "https://x.example/\u{0}")], 21234, "VoiceUrl"),
            (
                "/IpAccessControlLists.json", [("FriendlyName", String(repeating: "é", count: 256))], 21234,
                "FriendlyName"
            ),
        ] as [(String, [(String, String)], Int, String)])
    func invalidParameters(path: String, form: [(String, String)], code: Int, parameter: String) async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let response = try await client.send(.post, APITestHarness.sip() + path, form: form)
            let message = response.expectError(.badRequest, code: code)
            #expect(message.contains(parameter), "\(message)")
            #expect(try await harness.store.generation() == 0)
        }
    }

    @Test(
        "invalid IpAddress parameters get 400 naming the parameter",
        arguments: [
            ([("IpAddress", "192.0.2.1")], "FriendlyName"),
            ([("FriendlyName", "x")], "IpAddress"),
            ([("FriendlyName", "x"), ("IpAddress", "192.0.2")], "IpAddress"),
            ([("FriendlyName", "x"), ("IpAddress", "192.0.2.*")], "IpAddress"),
            ([("FriendlyName", "x"), ("IpAddress", "192.0.2.0/33")], "IpAddress"),
            ([("FriendlyName", "x"), ("IpAddress", "192.0.2.1"), ("CidrPrefixLength", "33")], "CidrPrefixLength"),
            ([("FriendlyName", "x"), ("IpAddress", "192.0.2.1"), ("CidrPrefixLength", "-1")], "CidrPrefixLength"),
            ([("FriendlyName", "x"), ("IpAddress", "192.0.2.0/24"), ("CidrPrefixLength", "16")], "CidrPrefixLength"),
            ([("FriendlyName", "x"), ("IpAddress", "fe80::1%eth0")], "IpAddress"),
            // Shorter than the minimums (/8 for IPv4, /16 for IPv6 by default).
            ([("FriendlyName", "x"), ("IpAddress", "0.0.0.0/0")], "IpAddress"),
            ([("FriendlyName", "x"), ("IpAddress", "0.0.0.0/0"), ("CidrPrefixLength", "0")], "IpAddress"),
            ([("FriendlyName", "x"), ("IpAddress", "10.0.0.0"), ("CidrPrefixLength", "7")], "CidrPrefixLength"),
            ([("FriendlyName", "x"), ("IpAddress", "2001::"), ("CidrPrefixLength", "15")], "CidrPrefixLength"),
            ([("FriendlyName", "x"), ("IpAddress", "::ffff:10.0.0.0/97")], "IpAddress"),
        ] as [([(String, String)], String)])
    func invalidAddresses(form: [(String, String)], parameter: String) async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let list = try await client.createList("l")
            let response = try await client.send(
                .post, "\(APITestHarness.sip())/IpAccessControlLists/\(list)/IpAddresses.json", form: form)
            let message = response.expectError(.badRequest, code: 21234)
            #expect(message.contains(parameter), "\(message)")
        }
    }

    @Test("an update to a prefix shorter than the minimum gets 400 and changes nothing")
    func updateBelowMinimum() async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let list = try await client.createList("l")
            let created = try await client.createAddress("192.0.2.10", in: list)
            let sid = created.json?["sid"]?.string ?? ""
            let path = "\(APITestHarness.sip())/IpAccessControlLists/\(list)/IpAddresses/\(sid).json"
            let response = try await client.send(.post, path, form: [("CidrPrefixLength", "4")])
            let message = response.expectError(.badRequest, code: 21234)
            #expect(message.contains("CidrPrefixLength") && message.contains("/8"), "\(message)")
            #expect(try await client.send(.get, path).json?["cidr_prefix_length"]?.int == 32)
        }
    }

    @Test("conflicts: a taken domain name, a list mapped twice, an unknown list, a prefix listed twice")
    func conflicts() async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let sip = APITestHarness.sip()
            let domain = try await client.createDomain("trunk.example.com")
            // Taken by any account, whatever the case.
            let taken = try await client.send(
                .post, "\(APITestHarness.sip(APITestHarness.bob))/Domains.json", as: APITestHarness.bob,
                form: [("DomainName", "TRUNK.example.com")])
            #expect(taken.expectError(.badRequest, code: 21232).contains("DomainName"))
            let other = try await client.createDomain("other.example.com")
            try await client.send(.post, "\(sip)/Domains/\(other).json", form: [("DomainName", "trunk.example.com")])
                .expectError(.badRequest, code: 21232)

            let list = try await client.createList("l")
            let mappings = "\(sip)/Domains/\(domain)/IpAccessControlListMappings.json"
            #expect(try await client.send(.post, mappings, form: [("IpAccessControlListSid", list)]).status == .created)
            let twice = try await client.send(.post, mappings, form: [("IpAccessControlListSid", list)])
            #expect(twice.expectError(.badRequest, code: 21231).hasPrefix("Domain Validation Error"))
            for bad in ["", "AL123", "AL00000000000000000000000000000000", domain] {
                let response = try await client.send(.post, mappings, form: [("IpAccessControlListSid", bad)])
                #expect(response.expectError(.badRequest, code: 21231).contains("IpAccessControlListSid"))
            }

            #expect(try await client.createAddress("192.0.2.0/24", in: list).status == .created)
            let duplicate = try await client.createAddress("192.0.2.9/24", in: list)
            #expect(duplicate.expectError(.badRequest, code: 21234).contains("IpAddress"))
        }
    }

    @Test("bodies over the limit get 413 without being read; other media types get 415")
    func bodies() async throws {
        let harness = try await APITestHarness(maximumBodySize: 256)
        try await harness.run { client in
            let path = "\(APITestHarness.sip())/IpAccessControlLists.json"
            let large = try await client.send(.post, path, form: [("FriendlyName", String(repeating: "x", count: 300))])
            large.expectError(.contentTooLarge, code: 20413)
            let json = try await client.send(
                .post, path, headers: [.contentType: "application/json"], body: #"{"FriendlyName":"x"}"#)
            json.expectError(.unsupportedMediaType, code: 20415)
            let fits = try await client.send(.post, path, form: [("FriendlyName", String(repeating: "x", count: 200))])
            #expect(fits.status == .created)
            #expect(try await harness.store.generation() == 1)
        }
    }

    @Test(
        "on a real socket, an oversized Content-Length is refused before its body arrives, and chunked bodies stop at the limit"
    )
    func bodiesOnTheWire() async throws {
        let harness = try await APITestHarness(maximumBodySize: 256)
        let app = Application(
            router: harness.api.buildRouter(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let authorization = "Basic " + Data("\(APITestHarness.alice):alice-token".utf8).base64EncodedString()
            let head =
                "POST \(APITestHarness.sip())/IpAccessControlLists.json HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Authorization: \(authorization)\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            // Declares a gigabyte but sends a few bytes: the answer must come without the rest.
            let declared = try RawHTTPClient.exchange(
                port: port, request: head + "Content-Length: 1000000000\r\n\r\nFriendlyName=x")
            #expect(declared.hasPrefix("HTTP/1.1 413"), "\(declared)")
            #expect(declared.contains("\"code\":20413"))
            let chunk = "FriendlyName=" + String(repeating: "x", count: 187)
            let chunked = try RawHTTPClient.exchange(
                port: port,
                request: head + "Transfer-Encoding: chunked\r\n\r\n"
                    + "c8\r\n\(chunk)\r\nc8\r\n\(String(repeating: "y", count: 200))\r\n0\r\n\r\n")
            #expect(chunked.hasPrefix("HTTP/1.1 413"), "\(chunked)")
            #expect(try await harness.store.generation() == 0)
        }
    }
}
