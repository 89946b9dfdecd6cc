import AccessControl
import Foundation
import GRDB
import Logging
import StoreTestSupport
import Synchronization
import Testing

@testable import PolicyStore

/// Regression: `CidrPrefixLength=0` — Twilio's default, "the entire IP address" — was
/// stored as a zero-length prefix that admitted every source.
@Suite("Zero-length prefixes")
struct ZeroLengthPrefixTests {
    @Test(
        "a document's cidr_prefix_length of 0 means the entire address, as in Twilio's API",
        arguments: [
            ("10.1.2.3", "10.1.2.3/32"),
            ("2001:db8::7", "2001:db8::7/128"),
            ("10.1.2.0/24", "10.1.2.0/24"),
        ])
    func documentLengthZero(address: String, expected: String) async throws {
        let store = try await TestStores.make()
        let document = PolicyDocument(accounts: [
            .init(
                sid: Fixtures.alice.rawValue,
                domains: [.init(domainName: "trunk.example.com", authCallsIPAccessControlListMappings: ["callers"])],
                ipAccessControlLists: [
                    .init(friendlyName: "callers", ipAddresses: [.init(ipAddress: address, cidrPrefixLength: 0)])
                ])
        ])
        try await store.apply(document)
        let exported = try await store.export()
        let entry = try #require(exported.accounts.first?.ipAccessControlLists.first?.ipAddresses.first)
        #expect("\(entry.ipAddress)/\(entry.cidrPrefixLength ?? -1)" == expected)

        let policy = try await store.compilePolicy()
        let trunk = Fixtures.domain("trunk.example.com")
        let inside = try IPPrefix(expected).network
        #expect(policy.decide(domain: trunk, source: inside).isAdmitted)
        #expect(policy.decide(domain: trunk, source: Fixtures.address("192.0.2.99")) == .reject(.sourceNotInAnyList))
        #expect(policy.decide(domain: trunk, source: Fixtures.address("2001:db8:ffff::1")) == .reject(.sourceNotInAnyList))
    }

    @Test("a deliberate /0 is exported in slash notation, so that importing it again keeps /0")
    func zeroLengthRoundTrip() async throws {
        let store = try await TestStores.make(prefixLengthMinimums: .none)
        let list = try await store.createIPAccessControlList(account: Fixtures.alice, friendlyName: "everyone")
        _ = try await store.createIPAddress(
            account: Fixtures.alice, list: list.sid, friendlyName: "all", prefix: Fixtures.prefix("0.0.0.0/0"))
        let exported = try await store.export()
        let entry = try #require(exported.accounts.first?.ipAccessControlLists.first?.ipAddresses.first)
        #expect(entry.ipAddress == "0.0.0.0/0")
        #expect(entry.cidrPrefixLength == nil)

        let copy = try await TestStores.make(prefixLengthMinimums: .none)
        try await copy.apply(exported)
        #expect(try await copy.export() == exported)
    }

    @Test("opening a database written before the fix removes its length-0 entries and logs each one")
    func migrationRemovesZeroLengthEntries() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sipfence-migration-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("policy.sqlite").path

        // A database as the first release left it: schema v1, with one entry that
        // `CidrPrefixLength=0` turned into 0.0.0.0/0 and one ordinary entry.
        do {
            let queue = try DatabaseQueue(path: path)
            try PolicyStoreSchema.migrator(logger: Logger(label: "test"))
                .migrate(queue, upTo: "v1: domains, lists, addresses, mappings, generation")
            try await queue.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO ip_access_control_list VALUES ('AL00000000000000000000000000000001', ?, 'carriers', 0, 0);
                        INSERT INTO ip_address VALUES
                            ('IP00000000000000000000000000000001', ?, 'AL00000000000000000000000000000001',
                             'carrier A', x'00000000', 0, 0, 0),
                            ('IP00000000000000000000000000000002', ?, 'AL00000000000000000000000000000001',
                             'carrier B', x'c0000200', 24, 0, 0);
                        UPDATE policy_generation SET value = 3;
                        """,
                    arguments: [Fixtures.alice.rawValue, Fixtures.alice.rawValue, Fixtures.alice.rawValue])
            }
        }

        let log = CapturedLog()
        let store = try PolicyStore(path: path, logger: Logger(label: "test") { _ in log })
        let list = SID("AL00000000000000000000000000000001", kind: .ipAccessControlList)!
        let remaining = try await store.ipAddresses(list: list, account: Fixtures.alice, limit: 10)
        #expect(remaining.map(\.prefix.description) == ["192.0.2.0/24"])
        #expect(try await store.generation() == 4)

        let warnings = log.entries.filter { $0.level == .warning }
        #expect(warnings.count == 1)
        let metadata = try #require(warnings.first?.metadata)
        #expect(metadata["sid"] == "IP00000000000000000000000000000001")
        #expect(metadata["ip_access_control_list_sid"] == "AL00000000000000000000000000000001")
        #expect(metadata["ip_access_control_list"] == "carriers")
        #expect(metadata["friendly_name"] == "carrier A")

        // The migration runs once.
        let again = CapturedLog()
        _ = try PolicyStore(path: path, logger: Logger(label: "test") { _ in again })
        #expect(again.entries.isEmpty)
    }
}

/// A log handler that keeps every entry, for tests that check what was logged.
final class CapturedLog: LogHandler, Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let stored = Mutex<[Entry]>([])
    var entries: [Entry] { stored.withLock { $0 } }

    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }
    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    func log(event: LogEvent) {
        let entry = Entry(
            level: event.level, message: "\(event.message)",
            metadata: (event.metadata ?? [:]).mapValues { "\($0)" })
        stored.withLock { $0.append(entry) }
    }
}
