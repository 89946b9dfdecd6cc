import Foundation
import Hummingbird
import Testing

@testable import ManagementAPI

@Suite("Management API resources: every route's success")
struct ResourceRouteTests {
    static let domainKeys: Set<String> = [
        "account_sid", "api_version", "auth_type", "date_created", "date_updated", "domain_name", "friendly_name",
        "sid",
        "uri", "voice_url", "voice_method", "voice_fallback_url", "voice_fallback_method", "voice_status_callback_url",
        "voice_status_callback_method", "sip_registration", "emergency_calling_enabled", "secure", "byoc_trunk_sid",
        "emergency_caller_sid", "subresource_uris",
    ]

    @Test("Domains: create, fetch, update, list, delete")
    func domains() async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let sip = APITestHarness.sip()
            let created = try await client.send(
                .post, "\(sip)/Domains.json",
                form: [
                    ("DomainName", "Trunk.Example.com"), ("FriendlyName", "Trunk"), ("VoiceMethod", "post"),
                    ("Secure", "true"), ("UnknownParameter", "ignored"),
                ])
            #expect(created.status == .created)
            #expect(created.headers[.contentType] == "application/json; charset=utf-8")
            let domain = try #require(created.json)
            #expect(domain.keys == Self.domainKeys)
            let sid = try #require(domain["sid"]?.string)
            #expect(sid.hasPrefix("SD") && sid.count == 34)
            #expect(domain["account_sid"]?.string == APITestHarness.alice.rawValue)
            #expect(domain["api_version"]?.string == "2010-04-01")
            #expect(domain["domain_name"]?.string == "trunk.example.com")
            #expect(domain["friendly_name"]?.string == "Trunk")
            #expect(domain["voice_method"]?.string == "POST")
            #expect(domain["voice_url"]?.isNull == true)
            #expect(domain["auth_type"]?.string == "")
            #expect(domain["voice_fallback_method"]?.string == "POST")
            #expect(domain["voice_status_callback_method"]?.string == "POST")
            #expect(domain["secure"]?.bool == true)
            #expect(domain["sip_registration"]?.bool == false)
            #expect(domain["byoc_trunk_sid"]?.isNull == true)
            #expect(domain["date_created"]?.string == "Thu, 30 Jul 2015 20:00:00 +0000")
            #expect(domain["uri"]?.string == "\(sip)/Domains/\(sid).json")
            #expect(
                domain["subresource_uris"]
                    == .object([
                        "credential_list_mappings": .string("\(sip)/Domains/\(sid)/CredentialListMappings.json"),
                        "ip_access_control_list_mappings": .string(
                            "\(sip)/Domains/\(sid)/IpAccessControlListMappings.json"),
                    ]))

            let fetched = try await client.send(.get, "\(sip)/Domains/\(sid).json")
            #expect(fetched.status == .ok)
            #expect(fetched.json == domain)

            harness.clock.advance(by: 3600)
            let updated = try await client.send(
                .post, "\(sip)/Domains/\(sid).json",
                form: [
                    ("VoiceUrl", "https://example.com/voice"), ("FriendlyName", ""), ("SipRegistration", "True"),
                    ("ByocTrunkSid", "BY0123456789abcdef0123456789abcdef"),
                ])
            #expect(updated.status == .ok)
            #expect(updated.json?["voice_url"]?.string == "https://example.com/voice")
            #expect(updated.json?["friendly_name"]?.isNull == true)
            #expect(updated.json?["sip_registration"]?.bool == true)
            #expect(updated.json?["secure"]?.bool == true)
            #expect(updated.json?["byoc_trunk_sid"]?.string == "BY0123456789abcdef0123456789abcdef")
            #expect(updated.json?["domain_name"]?.string == "trunk.example.com")
            #expect(updated.json?["date_updated"]?.string == "Thu, 30 Jul 2015 21:00:00 +0000")
            #expect(updated.json?["date_created"]?.string == "Thu, 30 Jul 2015 20:00:00 +0000")

            let renamed = try await client.send(
                .post, "\(sip)/Domains/\(sid).json", form: [("DomainName", "pbx.example.com")])
            #expect(renamed.json?["domain_name"]?.string == "pbx.example.com")

            let listed = try await client.send(.get, "\(sip)/Domains.json")
            let renamedDomain = try #require(renamed.json)
            #expect(listed.status == .ok)
            #expect(listed.json?["domains"]?.array == [renamedDomain])

            let deleted = try await client.send(.delete, "\(sip)/Domains/\(sid).json")
            #expect(deleted.status == .noContent)
            #expect(deleted.bodyText.isEmpty)
            try await client.send(.get, "\(sip)/Domains/\(sid).json").expectError(.notFound, code: 20404)
        }
    }

    @Test("IpAccessControlLists: create, fetch, update, list, delete")
    func lists() async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let sip = APITestHarness.sip()
            let created = try await client.send(
                .post, "\(sip)/IpAccessControlLists.json", form: [("FriendlyName", "my carriers")])
            #expect(created.status == .created)
            let list = try #require(created.json)
            #expect(
                list.keys == [
                    "sid", "account_sid", "friendly_name", "date_created", "date_updated", "uri", "subresource_uris",
                ])
            let sid = try #require(list["sid"]?.string)
            #expect(sid.hasPrefix("AL"))
            #expect(list["friendly_name"]?.string == "my carriers")
            #expect(list["uri"]?.string == "\(sip)/IpAccessControlLists/\(sid).json")
            #expect(
                list["subresource_uris"]
                    == .object(["ip_addresses": .string("\(sip)/IpAccessControlLists/\(sid)/IpAddresses.json")]))

            #expect(try await client.send(.get, "\(sip)/IpAccessControlLists/\(sid).json").json == list)
            let updated = try await client.send(
                .post, "\(sip)/IpAccessControlLists/\(sid).json", form: [("FriendlyName", "peers")])
            #expect(updated.status == .ok)
            #expect(updated.json?["friendly_name"]?.string == "peers")
            let listed = try await client.send(.get, "\(sip)/IpAccessControlLists.json")
            #expect(listed.json?["ip_access_control_lists"]?.array?.map { $0["sid"]?.string } == [sid])
            #expect(try await client.send(.delete, "\(sip)/IpAccessControlLists/\(sid).json").status == .noContent)
            try await client.send(.get, "\(sip)/IpAccessControlLists/\(sid).json").expectError(.notFound, code: 20404)
        }
    }

    @Test(
        "IpAddresses accept IPv4 and IPv6, bare, with CidrPrefixLength or in slash notation, and store the network",
        arguments: [
            ([("IpAddress", "192.0.2.10")], "192.0.2.10", 32),
            ([("IpAddress", "192.0.2.77"), ("CidrPrefixLength", "24")], "192.0.2.0", 24),
            ([("IpAddress", "54.172.60.0/30")], "54.172.60.0", 30),
            ([("IpAddress", "54.172.60.0/30"), ("CidrPrefixLength", "30")], "54.172.60.0", 30),
            ([("IpAddress", "2001:DB8::1")], "2001:db8::1", 128),
            ([("IpAddress", "2001:db8:1:2::7"), ("CidrPrefixLength", "48")], "2001:db8:1::", 48),
            ([("IpAddress", "::ffff:192.0.2.1")], "::ffff:192.0.2.1", 128),
            // Regression: CidrPrefixLength=0 is Twilio's default, "the entire IP address";
            // it was stored as /0 and opened the domain to every source.
            ([("IpAddress", "10.1.2.3"), ("CidrPrefixLength", "0")], "10.1.2.3", 32),
            ([("IpAddress", "2001:db8::7"), ("CidrPrefixLength", "0")], "2001:db8::7", 128),
            ([("IpAddress", "10.1.2.0/24"), ("CidrPrefixLength", "0")], "10.1.2.0", 24),
        ])
    func addressForms(form: [(String, String)], address: String, length: Int) async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let list = try await client.createList("l")
            let created = try await client.send(
                .post, "\(APITestHarness.sip())/IpAccessControlLists/\(list)/IpAddresses.json",
                form: [("FriendlyName", "entry")] + form)
            #expect(created.status == .created, "\(created.bodyText)")
            #expect(created.json?["ip_address"]?.string == address)
            #expect(created.json?["cidr_prefix_length"]?.int == length)
        }
    }

    @Test("IpAddresses: create, fetch, update, list, delete")
    func addresses() async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let list = try await client.createList("l")
            let base = "\(APITestHarness.sip())/IpAccessControlLists/\(list)/IpAddresses"
            let created = try await client.createAddress("192.0.2.10", in: list)
            #expect(created.status == .created)
            let entry = try #require(created.json)
            #expect(
                entry.keys == [
                    "sid", "account_sid", "friendly_name", "ip_address", "cidr_prefix_length",
                    "ip_access_control_list_sid",
                    "date_created", "date_updated", "uri",
                ])
            let sid = try #require(entry["sid"]?.string)
            #expect(sid.hasPrefix("IP"))
            #expect(entry["ip_access_control_list_sid"]?.string == list)
            #expect(entry["uri"]?.string == "\(base)/\(sid).json")
            #expect(try await client.send(.get, "\(base)/\(sid).json").json == entry)

            // A bare CidrPrefixLength applies to the stored address.
            let widened = try await client.send(.post, "\(base)/\(sid).json", form: [("CidrPrefixLength", "24")])
            #expect(widened.status == .ok)
            #expect(widened.json?["ip_address"]?.string == "192.0.2.0")
            #expect(widened.json?["cidr_prefix_length"]?.int == 24)
            // A new address of the same family keeps the length.
            let moved = try await client.send(
                .post, "\(base)/\(sid).json", form: [("IpAddress", "198.51.100.9"), ("FriendlyName", "moved")])
            #expect(moved.json?["ip_address"]?.string == "198.51.100.0")
            #expect(moved.json?["cidr_prefix_length"]?.int == 24)
            #expect(moved.json?["friendly_name"]?.string == "moved")
            // Another family gets its full length.
            let v6 = try await client.send(.post, "\(base)/\(sid).json", form: [("IpAddress", "2001:db8::5")])
            #expect(v6.json?["cidr_prefix_length"]?.int == 128)
            // CidrPrefixLength=0 is the parameter's default: it changes nothing, never makes /0.
            let unchanged = try await client.send(.post, "\(base)/\(sid).json", form: [("CidrPrefixLength", "0")])
            #expect(unchanged.status == .ok)
            #expect(unchanged.json?["ip_address"]?.string == "2001:db8::5")
            #expect(unchanged.json?["cidr_prefix_length"]?.int == 128)

            #expect(try await client.send(.get, "\(base).json").json?["ip_addresses"]?.array?.count == 1)
            #expect(try await client.send(.delete, "\(base)/\(sid).json").status == .noContent)
            try await client.send(.get, "\(base)/\(sid).json").expectError(.notFound, code: 20404)
        }
    }

    @Test("both kinds of mapping: create, fetch, list, delete, with their own shapes")
    func mappings() async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let sip = APITestHarness.sip()
            let domain = try await client.createDomain("trunk.example.com")
            let list = try await client.createList("carriers")

            let legacyBase = "\(sip)/Domains/\(domain)/IpAccessControlListMappings"
            let legacy = try await client.send(.post, "\(legacyBase).json", form: [("IpAccessControlListSid", list)])
            #expect(legacy.status == .created, "\(legacy.bodyText)")
            #expect(
                legacy.json?.keys == [
                    "account_sid", "date_created", "date_updated", "domain_sid", "friendly_name", "sid", "uri",
                ])
            #expect(legacy.json?["sid"]?.string == list)
            #expect(legacy.json?["friendly_name"]?.string == "carriers")
            #expect(legacy.json?["domain_sid"]?.string == domain)
            #expect(legacy.json?["uri"]?.string == "\(legacyBase)/\(list).json")

            let callsBase = "\(sip)/Domains/\(domain)/Auth/Calls/IpAccessControlListMappings"
            let calls = try await client.send(.post, "\(callsBase).json", form: [("IpAccessControlListSid", list)])
            #expect(calls.status == .created, "\(calls.bodyText)")
            #expect(calls.json?.keys == ["account_sid", "date_created", "date_updated", "friendly_name", "sid"])

            #expect(try await client.send(.get, "\(sip)/Domains/\(domain).json").json?["auth_type"]?.string == "IP_ACL")
            #expect(try await client.send(.get, "\(legacyBase)/\(list).json").json == legacy.json)
            #expect(try await client.send(.get, "\(callsBase)/\(list).json").json == calls.json)
            let legacyMapping = try #require(legacy.json)
            let callsMapping = try #require(calls.json)
            #expect(
                try await client.send(.get, "\(legacyBase).json").json?["ip_access_control_list_mappings"]?.array == [
                    legacyMapping
                ])
            #expect(try await client.send(.get, "\(callsBase).json").json?["contents"]?.array == [callsMapping])

            #expect(try await client.send(.delete, "\(legacyBase)/\(list).json").status == .noContent)
            try await client.send(.get, "\(legacyBase)/\(list).json").expectError(.notFound, code: 20404)
            #expect(try await client.send(.get, "\(callsBase)/\(list).json").status == .ok)
            #expect(try await client.send(.delete, "\(callsBase)/\(list).json").status == .noContent)
            #expect(try await client.send(.get, "\(sip)/Domains/\(domain).json").json?["auth_type"]?.string == "")
        }
    }

    @Test("a write through the API reaches the compiled policy")
    func writesReachThePolicy() async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let domain = try await client.createDomain("trunk.example.com")
            let list = try await client.createList("carriers")
            _ = try await client.createAddress("2001:db8::/32", in: list)
            _ = try await client.send(
                .post, "\(APITestHarness.sip())/Domains/\(domain)/Auth/Calls/IpAccessControlListMappings.json",
                form: [("IpAccessControlListSid", list)])
            try await harness.recompile()
            let check = try await client.send(.get, "/sipfence/v1/check?domain=trunk.example.com&source=2001:db8::7")
            #expect(check.json?["verdict"]?.string == "admit")
            #expect(check.json?["ip_access_control_list_sid"]?.string == list)
            #expect(check.json?["prefix"]?.string == "2001:db8::/32")
            #expect(check.json?["policy_generation"]?.int == 4)
        }
    }
}
