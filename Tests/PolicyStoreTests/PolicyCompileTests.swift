import AccessControl
import StoreTestSupport
import Testing

@testable import PolicyStore

@Suite("PolicyStore compiles records into a Policy")
struct PolicyCompileTests {
    @Test("each domain admits the union of lists mapped by either kind, across accounts")
    func compiles() async throws {
        let store = try await TestStores.make()
        let trunk = try await store.createDomain(account: Fixtures.alice, name: Fixtures.domain("trunk.example.com"))
        let closed = try await store.createDomain(account: Fixtures.alice, name: Fixtures.domain("closed.example.com"))
        let bobs = try await store.createDomain(account: Fixtures.bob, name: Fixtures.domain("bob.example.com"))
        let carriers = try await store.createIPAccessControlList(account: Fixtures.alice, friendlyName: "carriers")
        let office = try await store.createIPAccessControlList(account: Fixtures.alice, friendlyName: "office")
        let bobsList = try await store.createIPAccessControlList(account: Fixtures.bob, friendlyName: "bob")
        for (list, prefix) in [
            (carriers, "192.0.2.0/24"), (carriers, "2001:db8::/32"), (office, "198.51.100.7"),
            (bobsList, "203.0.113.0/24"),
        ] {
            _ = try await store.createIPAddress(
                account: list.accountSID, list: list.sid, friendlyName: prefix, prefix: Fixtures.prefix(prefix))
        }
        _ = try await store.createMapping(.legacy, domain: trunk.sid, list: carriers.sid, account: Fixtures.alice)
        _ = try await store.createMapping(.authCalls, domain: trunk.sid, list: office.sid, account: Fixtures.alice)
        _ = try await store.createMapping(.authCalls, domain: trunk.sid, list: carriers.sid, account: Fixtures.alice)
        _ = try await store.createMapping(.legacy, domain: bobs.sid, list: bobsList.sid, account: Fixtures.bob)

        let policy = try await store.compilePolicy()
        #expect(policy.generation == (try await store.generation()))
        #expect(policy.domainCount == 3)
        #expect(policy.prefixCount == 4)
        let trunkName = trunk.name
        #expect(
            policy.decide(domain: trunkName, source: Fixtures.address("192.0.2.9"))
                == .admit(
                    AccessMatch(
                        listID: carriers.sid.rawValue, listName: "carriers", prefix: Fixtures.prefix("192.0.2.0/24"))))
        #expect(policy.decide(domain: trunkName, source: Fixtures.address("2001:db8::1")).isAdmitted)
        #expect(policy.decide(domain: trunkName, source: Fixtures.address("198.51.100.7")).isAdmitted)
        #expect(
            policy.decide(domain: trunkName, source: Fixtures.address("203.0.113.1")) == .reject(.sourceNotInAnyList))
        #expect(policy.rule(for: trunkName)?.lists.count == 2)
        #expect(policy.decide(domain: closed.name, source: Fixtures.address("192.0.2.9")) == .reject(.noListMapped))
        #expect(policy.decide(domain: bobs.name, source: Fixtures.address("203.0.113.1")).isAdmitted)
        #expect(policy.decide(domain: bobs.name, source: Fixtures.address("192.0.2.9")) == .reject(.sourceNotInAnyList))
        #expect(
            policy.decide(domain: Fixtures.domain("nowhere.example.com"), source: Fixtures.address("192.0.2.9"))
                == .reject(.unknownDomain))
    }

    @Test("an empty store compiles to a policy that knows nothing")
    func empty() async throws {
        let policy = try await TestStores.make().compilePolicy()
        #expect(policy.generation == 0)
        #expect(policy.domainCount == 0)
    }
}
