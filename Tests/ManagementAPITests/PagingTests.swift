import AccessControl
import Foundation
import Hummingbird
import Testing

@testable import ManagementAPI

@Suite("Management API paging")
struct PagingTests {
    @Test("pages carry Twilio's envelope and follow next_page_uri to the end")
    func envelope() async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            var sids: [String] = []
            for index in 0..<7 { sids.append(try await client.createList("list \(index)")) }
            sids.sort()
            let path = "\(APITestHarness.sip())/IpAccessControlLists.json"

            let first = try #require(try await client.send(.get, "\(path)?PageSize=3").json)
            #expect(
                first.keys == [
                    "ip_access_control_lists", "uri", "first_page_uri", "next_page_uri", "previous_page_uri", "page",
                    "page_size",
                    "start", "end",
                ])
            #expect(first["ip_access_control_lists"]?.array?.compactMap { $0["sid"]?.string } == Array(sids[0..<3]))
            #expect(first["page"]?.int == 0)
            #expect(first["page_size"]?.int == 3)
            #expect(first["start"]?.int == 0)
            #expect(first["end"]?.int == 2)
            #expect(first["uri"]?.string == "\(path)?PageSize=3&Page=0")
            #expect(first["first_page_uri"]?.string == "\(path)?PageSize=3&Page=0")
            #expect(first["previous_page_uri"]?.isNull == true)
            #expect(first["next_page_uri"]?.string == "\(path)?PageSize=3&Page=1&PageToken=PA\(sids[2])")

            let secondURI = try #require(first["next_page_uri"]?.string)
            let second = try #require(try await client.send(.get, secondURI).json)
            #expect(second["ip_access_control_lists"]?.array?.compactMap { $0["sid"]?.string } == Array(sids[3..<6]))
            #expect(second["start"]?.int == 3)
            #expect(second["end"]?.int == 5)
            #expect(second["previous_page_uri"]?.string == "\(path)?PageSize=3&Page=0")

            let thirdURI = try #require(second["next_page_uri"]?.string)
            let third = try #require(try await client.send(.get, thirdURI).json)
            #expect(third["ip_access_control_lists"]?.array?.compactMap { $0["sid"]?.string } == [sids[6]])
            #expect(third["next_page_uri"]?.isNull == true)

            // Page without a token is an offset; the default page size is 50.
            let offset = try #require(try await client.send(.get, "\(path)?PageSize=2&Page=3").json)
            #expect(offset["ip_access_control_lists"]?.array?.compactMap { $0["sid"]?.string } == [sids[6]])
            let whole = try #require(try await client.send(.get, path).json)
            #expect(whole["page_size"]?.int == 50)
            #expect(whole["ip_access_control_lists"]?.array?.count == 7)
            #expect(whole["next_page_uri"]?.isNull == true)
        }
    }

    @Test("paging neither repeats nor skips records while records are added and deleted between pages")
    func stableUnderChange() async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let sip = APITestHarness.sip()
            var original: [String] = []
            for index in 0..<9 { original.append(try await client.createDomain("d\(index).example.com")) }
            original.sort()

            var seen: [String] = []
            var next: String? = "\(sip)/Domains.json?PageSize=3"
            var deleted: Set<String> = []
            var round = 0
            while let uri = next {
                let page = try #require(try await client.send(.get, uri).json)
                let sids = page["domains"]?.array?.compactMap { $0["sid"]?.string } ?? []
                seen += sids
                next = page["next_page_uri"]?.string
                if round == 0 {
                    // Delete the token's own record and one due on the next page; add some.
                    for sid in [sids[2], original[4]] {
                        #expect(try await client.send(.delete, "\(sip)/Domains/\(sid).json").status == .noContent)
                        deleted.insert(sid)
                    }
                    for index in 0..<4 { _ = try await client.createDomain("new\(index).example.com") }
                }
                round += 1
                #expect(round < 10)
                if round >= 10 { break }
            }
            #expect(Set(seen).count == seen.count, "a record was listed twice")
            let survivors = Set(original).subtracting(deleted).subtracting(seen.prefix(3))
            #expect(survivors.isSubset(of: Set(seen)), "a record that was there all along was skipped")
            #expect(Set(seen).intersection(deleted) == Set(seen.prefix(3)).intersection(deleted))
        }
    }

    @Test("paging works the same for addresses and both kinds of mapping")
    func otherLists() async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let sip = APITestHarness.sip()
            let domain = try await client.createDomain("trunk.example.com")
            var lists: [String] = []
            for index in 0..<3 {
                let list = try await client.createList("l\(index)")
                lists.append(list)
                _ = try await client.createAddress("192.0.2.\(index)", in: lists[0])
                for kind in ["IpAccessControlListMappings", "Auth/Calls/IpAccessControlListMappings"] {
                    _ = try await client.send(
                        .post, "\(sip)/Domains/\(domain)/\(kind).json", form: [("IpAccessControlListSid", list)])
                }
            }
            for (path, key) in [
                ("\(sip)/IpAccessControlLists/\(lists[0])/IpAddresses.json", "ip_addresses"),
                ("\(sip)/Domains/\(domain)/IpAccessControlListMappings.json", "ip_access_control_list_mappings"),
                ("\(sip)/Domains/\(domain)/Auth/Calls/IpAccessControlListMappings.json", "contents"),
            ] {
                let first = try #require(try await client.send(.get, "\(path)?PageSize=2").json)
                #expect(first[key]?.array?.count == 2, "\(path)")
                let secondURI = try #require(first["next_page_uri"]?.string)
                let second = try #require(try await client.send(.get, secondURI).json)
                #expect(second[key]?.array?.count == 1, "\(path)")
                #expect(second["next_page_uri"]?.isNull == true)
            }
        }
    }

    /// Twilio's helper libraries send `PageSize=N` for `list(limit=N)` even when N > 1000;
    /// Twilio serves 1000 and its `next_page_uri` says so. A 400 here broke `list(limit=1500)`.
    @Test("a PageSize above 1000 is served as 1000, and next_page_uri carries on", arguments: ["1001", "1500", "99999999999999999999999"])
    func pageSizeClamped(pageSize: String) async throws {
        let harness = try await APITestHarness()
        let list = try await harness.store.createIPAccessControlList(account: APITestHarness.alice, friendlyName: "big")
        for index in 0..<1_200 {
            _ = try await harness.store.createIPAddress(
                account: APITestHarness.alice, list: list.sid, friendlyName: "e\(index)",
                prefix: try IPPrefix("10.\(index / 256).\(index % 256).1"))
        }
        try await harness.run { client in
            let base = "\(APITestHarness.sip())/IpAccessControlLists/\(list.sid)/IpAddresses.json"
            let first = try await client.send(.get, "\(base)?PageSize=\(pageSize)")
            #expect(first.status == .ok, "\(first.bodyText)")
            #expect(first.json?["page_size"]?.int == 1000)
            #expect(first.json?["ip_addresses"]?.array?.count == 1000)
            let next = try #require(first.json?["next_page_uri"]?.string)
            #expect(next.contains("PageSize=1000&Page=1&PageToken=PA"))
            let second = try await client.send(.get, next)
            #expect(second.json?["ip_addresses"]?.array?.count == 200)
            #expect(second.json?["next_page_uri"]?.isNull == true)
        }
    }

    @Test(
        "invalid paging parameters are refused",
        arguments: [
            ("PageSize=0", 400, 21234), ("PageSize=-5", 400, 21234), ("PageSize=ten", 400, 21234),
            ("PageSize=", 400, 21234),
            ("Page=-1", 400, 21234), ("PageToken=nonsense", 400, 21481),
            ("PageToken=PASD00000000000000000000000000000000", 400, 21481),
            ("PageToken=PAAL0000000000000000000000000000000", 400, 21481),
        ])
    func invalidParameters(query: String, status: Int, code: Int) async throws {
        let harness = try await APITestHarness()
        try await harness.run { client in
            let response = try await client.send(.get, "\(APITestHarness.sip())/IpAccessControlLists.json?\(query)")
            let message = response.expectError(HTTPResponse.Status(code: status), code: code)
            #expect(message.contains(query.split(separator: "=")[0]))
        }
    }
}
