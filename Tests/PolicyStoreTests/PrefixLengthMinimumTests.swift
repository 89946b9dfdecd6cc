import AccessControl
import StoreTestSupport
import Testing

@testable import PolicyStore

@Suite("Prefix length minimums")
struct PrefixLengthMinimumTests {
    @Test(
        "writes shorter than the minimum are refused; longer and equal ones pass",
        arguments: [
            ("10.0.0.0/7", false), ("10.0.0.0/8", true), ("0.0.0.0/0", false),
            ("2001::/15", false), ("2001::/16", true), ("::/0", false),
            ("::ffff:10.0.0.0/100", false), ("::ffff:10.0.0.0/104", true),
        ])
    func createAgainstDefaults(prefix: String, allowed: Bool) async throws {
        let store = try await TestStores.make()
        let list = try await store.createIPAccessControlList(account: Fixtures.alice, friendlyName: "l")
        let create = {
            try await store.createIPAddress(
                account: Fixtures.alice, list: list.sid, friendlyName: "e", prefix: Fixtures.prefix(prefix))
        }
        if allowed {
            _ = try await create()
        } else {
            await #expect(throws: PolicyStoreError.self) { try await create() }
            #expect(try await store.generation() == 1)  // only the list was written
        }
    }

    @Test("an update to a shorter prefix is refused; a minimum of 0 allows a deliberate catch-all")
    func updateAndCatchAll() async throws {
        let store = try await TestStores.make()
        let list = try await store.createIPAccessControlList(account: Fixtures.alice, friendlyName: "l")
        let entry = try await store.createIPAddress(
            account: Fixtures.alice, list: list.sid, friendlyName: "e", prefix: Fixtures.prefix("192.0.2.0/24"))
        await #expect(throws: PolicyStoreError.prefixTooShort(Fixtures.prefix("0.0.0.0/0"), minimum: 8)) {
            try await store.updateIPAddress(entry.sid, list: list.sid, account: Fixtures.alice) {
                $0.prefix = Fixtures.prefix("0.0.0.0/0")
            }
        }
        store.prefixLengthMinimums = .none
        let opened = try await store.updateIPAddress(entry.sid, list: list.sid, account: Fixtures.alice) {
            $0.prefix = Fixtures.prefix("0.0.0.0/0")
        }
        #expect(opened.prefix.length == 0)

        // Entries stored before the minimum was raised stay, and are found for reporting.
        store.prefixLengthMinimums = .default
        #expect(try await store.ipAddresses(shorterThan: .default).map(\.sid) == [entry.sid])
        #expect(try await store.ipAddresses(shorterThan: .none).isEmpty)
        // A friendly-name change to such an entry is still allowed.
        let renamed = try await store.updateIPAddress(entry.sid, list: list.sid, account: Fixtures.alice) {
            $0.friendlyName = "everyone, on purpose"
        }
        #expect(renamed.prefix.length == 0)
    }

    @Test("policy import refuses a short entry, naming its path, and writes nothing")
    func importRefuses() async throws {
        let store = try await TestStores.make()
        let document = PolicyDocument(accounts: [
            .init(
                sid: Fixtures.alice.rawValue,
                ipAccessControlLists: [
                    .init(
                        friendlyName: "callers",
                        ipAddresses: [.init(ipAddress: "192.0.2.1"), .init(ipAddress: "10.0.0.0/4")])
                ])
        ])
        await #expect {
            try await store.apply(document)
        } throws: { error in
            guard case .invalidAddress(let path, _, let reason) = error as? PolicyDocumentError else { return false }
            return path == "accounts[0].ip_access_control_lists[0].ip_addresses[1]" && reason.contains("/8")
        }
        #expect(try await store.generation() == 0)

        let permissive = try await TestStores.make(prefixLengthMinimums: .none)
        #expect(try await permissive.apply(document).created == 3)
    }

    @Test("minimums validate their ranges")
    func ranges() throws {
        #expect(throws: IPAddressParseError.self) { try PrefixLengthMinimums(ipv4: 33, ipv6: 16) }
        #expect(throws: IPAddressParseError.self) { try PrefixLengthMinimums(ipv4: 8, ipv6: 129) }
        #expect(throws: IPAddressParseError.self) { try PrefixLengthMinimums(ipv4: -1, ipv6: 16) }
        #expect(try PrefixLengthMinimums(ipv4: 8, ipv6: 16) == .default)
    }
}
