import AccessControl
import Foundation
import StoreTestSupport
import Testing

@testable import PolicyStore

@Suite("PolicyDocument export and apply")
struct PolicyDocumentTests {
    /// A hand-written document: lists referred to by name, addresses in both notations.
    static let handWritten = PolicyDocument(accounts: [
        .init(
            sid: Fixtures.alice.rawValue,
            domains: [
                .init(
                    domainName: "Trunk.Example.com",
                    settings: DomainSettings(friendlyName: "Trunk", voiceURL: "https://example.com/v", secure: true),
                    ipAccessControlListMappings: ["carriers"],
                    authCallsIPAccessControlListMappings: ["carriers", "office", "office"]),
                .init(domainName: "closed.example.com"),
            ],
            ipAccessControlLists: [
                .init(
                    friendlyName: "carriers",
                    ipAddresses: [
                        .init(friendlyName: "A", ipAddress: "192.0.2.0", cidrPrefixLength: 24),
                        .init(ipAddress: "2001:db8::/32"),
                    ]),
                .init(friendlyName: "office", ipAddresses: [.init(friendlyName: "desk", ipAddress: "198.51.100.7")]),
            ]),
        .init(sid: Fixtures.bob.rawValue, domains: [.init(domainName: "bob.example.com")]),
    ])

    @Test("applying a document creates its records, and applying it again changes nothing")
    func idempotentApply() async throws {
        let store = try await TestStores.make()
        let first = try await store.apply(Self.handWritten)
        // 3 domains, 2 lists, 3 addresses, 3 mappings
        #expect(first.created == 11)
        #expect(first.generation == 1)

        let second = try await store.apply(Self.handWritten)
        #expect(!second.changedAnything)
        #expect(second.generation == 1)
        #expect(try await store.generation() == 1)

        let policy = try await store.compilePolicy()
        let trunk = Fixtures.domain("trunk.example.com")
        #expect(policy.decide(domain: trunk, source: Fixtures.address("192.0.2.200")).isAdmitted)
        #expect(policy.decide(domain: trunk, source: Fixtures.address("2001:db8::9")).isAdmitted)
        #expect(policy.decide(domain: trunk, source: Fixtures.address("198.51.100.7")).isAdmitted)
        #expect(
            policy.decide(domain: Fixtures.domain("closed.example.com"), source: Fixtures.address("192.0.2.1"))
                == .reject(.noListMapped))
    }

    @Test("new addresses take SIDs ascending in the order they are written, across lists (the SID index is appended to)")
    func ascendingAddressSIDs() async throws {
        let store = try await TestStores.make()
        let lists = (0..<20).map { list in
            PolicyDocument.IPAccessControlList(
                friendlyName: "list \(list)", ipAddresses: (0..<50).map { .init(ipAddress: "10.\(list).\(($0 * 37) % 256).0/24") })
        }
        try await store.apply(PolicyDocument(accounts: [.init(sid: Fixtures.alice.rawValue, ipAccessControlLists: lists)]))
        let sids = try await store.read { db in
            // The order rows were written in: SQLite's rowid, PostgreSQL's physical order in a new table.
            try String.fetchAll(db, sql: "SELECT sid FROM ip_address ORDER BY \(db.dialect == .sqlite ? "rowid" : "ctid")")
        }
        #expect(sids.count == 1_000)
        #expect(sids == sids.sorted())
    }

    @Test("an export applied to a fresh store recreates the same records, SIDs included")
    func exportRoundTrip() async throws {
        let store = try await TestStores.make()
        try await store.apply(Self.handWritten)
        let exported = try await store.export()
        #expect(exported.accounts.map(\.sid) == [Fixtures.alice.rawValue, Fixtures.bob.rawValue])
        let trunk = try #require(exported.accounts[0].domains.first { $0.domainName == "trunk.example.com" })
        #expect(trunk.secure == true)
        #expect(trunk.sipRegistration == nil)
        #expect(trunk.authCallsIPAccessControlListMappings.count == 2)
        #expect(trunk.sid != nil)

        // Applying the export to its own store changes nothing.
        #expect(try await !store.apply(exported).changedAnything)
        #expect(try await !store.apply(exported, prune: true).changedAnything)

        let copy = try await TestStores.make()
        try await copy.apply(exported)
        #expect(try await copy.export() == exported)

        // The document survives a JSON round trip (the executable uses YAML; same keys).
        let data = try JSONEncoder().encode(exported)
        #expect(try JSONDecoder().decode(PolicyDocument.self, from: data) == exported)
        let json = String(decoding: data, as: UTF8.self)
        #expect(json.contains("\"auth_calls_ip_access_control_list_mappings\""))
        #expect(json.contains("\"ip_access_control_lists\""))
    }

    @Test("changed documents update in place; prune removes what the document leaves out")
    func updatesAndPrune() async throws {
        let store = try await TestStores.make()
        try await store.apply(Self.handWritten)
        let before = try await store.export()

        var document = Self.handWritten
        document.accounts[0].domains.removeLast()  // closed.example.com
        document.accounts[0].domains[0].secure = nil
        document.accounts[0].domains[0].authCallsIPAccessControlListMappings = ["office"]
        document.accounts[0].ipAccessControlLists[0].ipAddresses.removeLast()  // 2001:db8::/32
        document.accounts[0].ipAccessControlLists[1].ipAddresses[0].friendlyName = "front desk"

        let merged = try await store.apply(document)
        #expect(merged.created == 0)
        #expect(merged.updated == 2)  // the domain's settings, the address's name
        #expect(merged.deleted == 0)
        let afterMerge = try await store.export()
        #expect(afterMerge.accounts[0].domains.count == 2)
        #expect(
            afterMerge.accounts[0].ipAccessControlLists.map(\.sid) == before.accounts[0].ipAccessControlLists.map(\.sid)
        )

        let pruned = try await store.apply(document, prune: true)
        #expect(pruned.deleted == 3)  // closed.example.com, 2001:db8::/32, the carriers auth/calls mapping
        let afterPrune = try await store.export()
        #expect(afterPrune.accounts[0].domains.map(\.domainName) == ["trunk.example.com"])
        let carriers = try #require(afterPrune.accounts[0].ipAccessControlLists.first { $0.friendlyName == "carriers" })
        #expect(carriers.ipAddresses.map(\.ipAddress) == ["192.0.2.0"])
        #expect(afterPrune.accounts[1] == before.accounts[1])  // Bob untouched
        #expect(try await !store.apply(document, prune: true).changedAnything)
    }

    /// Ways to break ``handWritten``, each with the path its error names.
    enum Damage: CaseIterable, CustomTestStringConvertible {
        case malformedAccountSID, invalidDomainName, nameTwice, unknownList, badAddress, disagreeingLength,
            emptyListName, accountTwice, domainSIDOfAnotherAccount

        var path: String {
            switch self {
            case .malformedAccountSID: "accounts[0].sid"
            case .invalidDomainName, .nameTwice: "accounts[0].domains[1].domain_name"
            case .unknownList: "accounts[0].domains[1].ip_access_control_list_mappings[0]"
            case .badAddress: "accounts[0].ip_access_control_lists[1].ip_addresses[0].ip_address"
            case .disagreeingLength: "accounts[0].ip_access_control_lists[0].ip_addresses[1].cidr_prefix_length"
            case .emptyListName: "accounts[0].ip_access_control_lists[0].friendly_name"
            case .accountTwice: "accounts[1].sid"
            case .domainSIDOfAnotherAccount: "accounts[1].domains[0]"
            }
        }

        func apply(to document: inout PolicyDocument) {
            switch self {
            case .malformedAccountSID: document.accounts[0].sid = "AC123"
            case .invalidDomainName: document.accounts[0].domains[1].domainName = "bad_name.example.com"
            case .nameTwice: document.accounts[0].domains[1].domainName = "trunk.example.com."
            case .unknownList: document.accounts[0].domains[1].ipAccessControlListMappings = ["nope"]
            case .badAddress: document.accounts[0].ipAccessControlLists[1].ipAddresses[0].ipAddress = "198.51.100.256"
            case .disagreeingLength: document.accounts[0].ipAccessControlLists[0].ipAddresses[1].cidrPrefixLength = 48
            case .emptyListName: document.accounts[0].ipAccessControlLists[0].friendlyName = ""
            case .accountTwice: document.accounts[1].sid = Fixtures.alice.rawValue
            case .domainSIDOfAnotherAccount:
                document.accounts[1].domains[0].domainName = "somewhere.example.com"
                document.accounts[1].domains[0].sid = "SD00000000000000000000000000000000"
            }
        }

        var testDescription: String { "\(self) at \(path)" }
    }

    @Test("invalid documents are refused whole, before anything is written", arguments: Damage.allCases)
    func refusesInvalid(damage: Damage) async throws {
        let path = damage.path
        let store = try await TestStores.make()
        // Another account already holds a domain SID the last case asks for.
        let taken = try await store.apply(
            PolicyDocument(accounts: [
                .init(
                    sid: "AC00000000000000000000000000000009",
                    domains: [.init(sid: "SD00000000000000000000000000000000", domainName: "x.example.com")])
            ]))
        var document = Self.handWritten
        damage.apply(to: &document)
        do {
            try await store.apply(document)
            Issue.record("applied an invalid document")
        } catch let error as PolicyDocumentError {
            #expect(error.description.hasPrefix(path), "\(error)")
        }
        #expect(try await store.generation() == taken.generation)
        #expect(try await store.export().accounts.count == 1)
    }

    @Test("a domain name used by another account is a conflict")
    func domainNameConflict() async throws {
        let store = try await TestStores.make()
        _ = try await store.createDomain(account: Fixtures.bob, name: Fixtures.domain("trunk.example.com"))
        await #expect(
            throws: PolicyDocumentError.conflict(
                path: "accounts[0].domains[0]", .domainNameTaken(Fixtures.domain("trunk.example.com")))
        ) {
            try await store.apply(Self.handWritten)
        }
        #expect(try await store.generation() == 1)
    }
}
