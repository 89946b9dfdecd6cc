import AccessControl
import Foundation
import StoreTestSupport
import Testing

@testable import PolicyStore

@Suite("PolicyDocument credential lists and credential mappings")
struct PolicyDocumentCredentialTests {
    static let phonesSID = "CL00000000000000000000000000000001"

    /// A document with credential lists referred to by name and by SID, all three kinds of
    /// mapping, and an IP list beside them.
    static var document: PolicyDocument {
        let alice = Fixtures.secret("alice", "Correct4Horse")
        let bob = Fixtures.secret("bob", "Battery5Staple")
        return PolicyDocument(accounts: [
            .init(
                sid: Fixtures.alice.rawValue,
                domains: [
                    .init(
                        domainName: "pbx.example.com",
                        ipAccessControlListMappings: ["office"],
                        credentialListMappings: ["phones"],
                        authCallsCredentialListMappings: [phonesSID, "softphones"],
                        authRegistrationsCredentialListMappings: ["phones"])
                ],
                ipAccessControlLists: [.init(friendlyName: "office", ipAddresses: [.init(ipAddress: "192.0.2.1")])],
                credentialLists: [
                    .init(
                        sid: phonesSID, friendlyName: "phones",
                        credentials: [
                            .init(username: "alice", secret: alice),
                            .init(sid: "CR00000000000000000000000000000002", username: "bob", secret: bob),
                        ]),
                    .init(friendlyName: "softphones"),
                ])
        ])
    }

    @Test("applying creates lists, credentials and mappings; applying again changes nothing")
    func idempotentApply() async throws {
        let store = try await TestStores.make()
        let first = try await store.apply(Self.document)
        // 1 domain, 1 IP list, 1 address, 1 IP mapping, 2 credential lists, 2 credentials,
        // 4 credential mappings
        #expect(first.created == 12)
        #expect(first.generation == 1)
        #expect(try await !store.apply(Self.document).changedAnything)
        #expect(try await store.generation() == 1)

        let phones = try #require(SID(Self.phonesSID, kind: .credentialList))
        let credentials = try await store.credentials(list: phones, account: Fixtures.alice, limit: 10)
        #expect(Set(credentials.map(\.username)) == ["alice", "bob"])
        #expect(credentials.first { $0.username == "bob" }?.sid.rawValue == "CR00000000000000000000000000000002")
        #expect(credentials.first { $0.username == "alice" }?.secret == Fixtures.secret("alice", "Correct4Horse"))
        let domain = try #require(
            try await store.domain(named: Fixtures.domain("pbx.example.com"), account: Fixtures.alice))
        #expect(domain.credentialListMappingKinds == Set(CredentialMappingKind.allCases))
        #expect(
            try await store.credentialListMappings(.authCalls, domain: domain.sid, account: Fixtures.alice, limit: 10)
                .map(\.friendlyName).sorted() == ["phones", "softphones"])
    }

    @Test("an export holds hashes, never passwords, and recreates the same records in a fresh store")
    func exportRoundTrip() async throws {
        let store = try await TestStores.make()
        try await store.apply(Self.document)
        let exported = try await store.export()
        let account = try #require(exported.accounts.first)
        #expect(account.credentialLists.map(\.friendlyName) == ["phones", "softphones"])
        let phones = account.credentialLists[0]
        #expect(phones.sid == Self.phonesSID)
        #expect(phones.credentials.map(\.username) == ["alice", "bob"])
        #expect(phones.credentials.allSatisfy { $0.sid != nil && $0.realm == "sipfence" })
        let domain = try #require(account.domains.first)
        #expect(domain.credentialListMappings == [Self.phonesSID])
        #expect(domain.authCallsCredentialListMappings.count == 2)
        #expect(domain.authRegistrationsCredentialListMappings == [Self.phonesSID])

        #expect(try await !store.apply(exported, prune: true).changedAnything)
        let copy = try await TestStores.make()
        try await copy.apply(exported)
        #expect(try await copy.export() == exported)

        let data = try JSONEncoder().encode(exported)
        #expect(try JSONDecoder().decode(PolicyDocument.self, from: data) == exported)
        let json = String(decoding: data, as: UTF8.self)
        for key in [
            "\"credential_lists\"", "\"ha1_md5\"", "\"ha1_sha256\"", "\"realm\"", "\"credential_list_mappings\"",
            "\"auth_calls_credential_list_mappings\"", "\"auth_registrations_credential_list_mappings\"",
        ] {
            #expect(json.contains(key), "\(key)")
        }
        #expect(!json.contains("Correct4Horse") && !json.contains("password"))
    }

    @Test("an export of a store without credentials has none of the credential keys")
    func noCredentialKeysWhenEmpty() async throws {
        let store = try await TestStores.make()
        try await store.apply(PolicyDocumentTests.handWritten)
        let json = String(decoding: try JSONEncoder().encode(try await store.export()), as: UTF8.self)
        #expect(!json.contains("credential"))
    }

    @Test("changed hashes update in place; prune removes credentials, lists and mappings the document leaves out")
    func updatesAndPrune() async throws {
        let store = try await TestStores.make()
        try await store.apply(Self.document)

        var document = Self.document
        document.accounts[0].credentialLists[0].credentials[0] = .init(
            username: "alice", secret: Fixtures.secret("alice", "NewPassword99"))
        document.accounts[0].credentialLists[0].credentials.removeLast()  // bob
        document.accounts[0].credentialLists.removeLast()  // softphones
        document.accounts[0].domains[0].authCallsCredentialListMappings = [Self.phonesSID]
        document.accounts[0].domains[0].authRegistrationsCredentialListMappings = []

        let merged = try await store.apply(document)
        #expect(merged.created == 0)
        #expect(merged.updated == 1)  // alice's hashes
        #expect(merged.deleted == 0)

        let pruned = try await store.apply(document, prune: true)
        // bob, the softphones auth/calls mapping, the registrations mapping, softphones
        #expect(pruned.deleted == 4)
        let exported = try await store.export()
        #expect(exported.accounts[0].credentialLists.map(\.friendlyName) == ["phones"])
        #expect(exported.accounts[0].credentialLists[0].credentials.map(\.username) == ["alice"])
        #expect(
            exported.accounts[0].credentialLists[0].credentials[0].ha1MD5
                == Fixtures.secret("alice", "NewPassword99").ha1MD5)
        #expect(exported.accounts[0].domains[0].authCallsCredentialListMappings == [Self.phonesSID])
        #expect(exported.accounts[0].domains[0].authRegistrationsCredentialListMappings.isEmpty)
        #expect(try await !store.apply(document, prune: true).changedAnything)
    }

    /// Ways to break ``document``'s credentials, each with the path its error names.
    enum Damage: CaseIterable, CustomTestStringConvertible {
        case uppercaseMD5, shortSHA256, emptyRealm, longUsername, quotedUsername, usernameTwice, wrongSIDKind,
            longListName, unknownCredentialList, ipListAsCredentialList

        var path: String {
            let phones = "accounts[0].credential_lists[0]"
            return switch self {
            case .uppercaseMD5: "\(phones).credentials[0].ha1_md5"
            case .shortSHA256: "\(phones).credentials[1].ha1_sha256"
            case .emptyRealm: "\(phones).credentials[0].realm"
            case .longUsername, .quotedUsername: "\(phones).credentials[0].username"
            case .usernameTwice: "\(phones).credentials[1].username"
            case .wrongSIDKind: "\(phones).sid"
            case .longListName: "accounts[0].credential_lists[1].friendly_name"
            case .unknownCredentialList: "accounts[0].domains[0].auth_registrations_credential_list_mappings[0]"
            case .ipListAsCredentialList: "accounts[0].domains[0].credential_list_mappings[0]"
            }
        }

        func apply(to document: inout PolicyDocument) {
            switch self {
            case .uppercaseMD5:
                document.accounts[0].credentialLists[0].credentials[0].ha1MD5 =
                    document.accounts[0].credentialLists[0].credentials[0].ha1MD5.uppercased()
            case .shortSHA256:
                document.accounts[0].credentialLists[0].credentials[1].ha1SHA256.removeLast()
            case .emptyRealm: document.accounts[0].credentialLists[0].credentials[0].realm = ""
            case .longUsername:
                document.accounts[0].credentialLists[0].credentials[0].username = String(repeating: "u", count: 33)
            case .quotedUsername: document.accounts[0].credentialLists[0].credentials[0].username = "a\"b"
            case .usernameTwice: document.accounts[0].credentialLists[0].credentials[1].username = "alice"
            case .wrongSIDKind: document.accounts[0].credentialLists[0].sid = "AL00000000000000000000000000000001"
            case .longListName: document.accounts[0].credentialLists[1].friendlyName = String(repeating: "n", count: 65)
            case .unknownCredentialList:
                document.accounts[0].domains[0].authRegistrationsCredentialListMappings = ["nope"]
            case .ipListAsCredentialList: document.accounts[0].domains[0].credentialListMappings = ["office"]
            }
        }

        var testDescription: String { "\(self) at \(path)" }
    }

    @Test("invalid credentials are refused whole, naming the offending value", arguments: Damage.allCases)
    func refusesInvalid(damage: Damage) async throws {
        let store = try await TestStores.make()
        var document = Self.document
        damage.apply(to: &document)
        do {
            try await store.apply(document)
            Issue.record("applied an invalid document")
        } catch let error as PolicyDocumentError {
            #expect(error.description.hasPrefix(damage.path + ":"), "\(error)")
        }
        #expect(try await store.generation() == 0)
    }

    @Test("a credential SID another list holds is a conflict naming the credential")
    func credentialSIDConflict() async throws {
        let store = try await TestStores.make()
        try await store.apply(Self.document)
        var other = Self.document
        other.accounts[0].sid = Fixtures.bob.rawValue
        other.accounts[0].domains = []
        other.accounts[0].credentialLists[0].sid = nil
        await #expect(
            throws: PolicyDocumentError.conflict(
                path: "accounts[0].credential_lists[0].credentials[1]",
                .sidTaken(SID("CR00000000000000000000000000000002", kind: .credential)!))
        ) {
            try await store.apply(other)
        }
    }
}
