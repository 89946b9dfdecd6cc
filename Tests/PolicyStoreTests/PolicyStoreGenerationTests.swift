import AccessControl
import StoreTestSupport
import Testing

@testable import PolicyStore

@Suite("PolicyStore generations and change notifications")
struct PolicyStoreGenerationTests {
    let clock = TestClock()
    let store: PolicyStore

    init() async throws {
        store = try await TestStores.make(now: clock.now)
    }

    @Test("every committed change bumps the generation once; no-ops and failures do not")
    func bumps() async throws {
        #expect(try await store.generation() == 0)
        let domain = try await store.createDomain(account: Fixtures.alice, name: Fixtures.domain("a.example.com"))
        #expect(try await store.generation() == 1)
        let list = try await store.createIPAccessControlList(account: Fixtures.alice, friendlyName: "l")
        _ = try await store.createMapping(.legacy, domain: domain.sid, list: list.sid, account: Fixtures.alice)
        #expect(try await store.generation() == 3)

        // An update to the same values writes nothing.
        clock.advance(by: 5)
        let same = try await store.updateDomain(domain.sid, account: Fixtures.alice) { $0.settings.secure = false }
        #expect(same.dateUpdated == domain.dateUpdated)
        _ = try await store.renameIPAccessControlList(list.sid, account: Fixtures.alice, friendlyName: "l")
        #expect(try await store.generation() == 3)

        // A refused write leaves everything as it was.
        await #expect(throws: PolicyStoreError.self) {
            try await store.createMapping(.legacy, domain: domain.sid, list: list.sid, account: Fixtures.alice)
        }
        await #expect(throws: PolicyStoreError.self) {
            try await store.deleteDomain(SID.random(.domain), account: Fixtures.alice)
        }
        #expect(try await store.generation() == 3)

        // Deleting the list cascades to the mapping, in one change.
        try await store.deleteIPAccessControlList(list.sid, account: Fixtures.alice)
        #expect(try await store.generation() == 4)
    }

    @Test("subscribers get the current generation, then each new one")
    func notifications() async throws {
        _ = try await store.createIPAccessControlList(account: Fixtures.alice, friendlyName: "before")
        var changes = store.changes().makeAsyncIterator()
        #expect(await changes.next() == 1)

        _ = try await store.createIPAccessControlList(account: Fixtures.alice, friendlyName: "one")
        #expect(await changes.next() == 2)
        _ = try await store.createDomain(account: Fixtures.alice, name: Fixtures.domain("a.example.com"))
        #expect(await changes.next() == 3)
    }

    @Test("a slow subscriber skips to the newest generation")
    func coalescing() async throws {
        let changes = store.changes()
        for index in 0..<5 {
            _ = try await store.createIPAccessControlList(account: Fixtures.alice, friendlyName: "l\(index)")
        }
        var iterator = changes.makeAsyncIterator()
        #expect(await iterator.next() == 5)
    }

    @Test("a subscription ends when its consumer stops")
    func unsubscribes() async throws {
        let task = Task { [store] in
            for await _ in store.changes() {}
        }
        while store.broadcaster.subscriberCount == 0 { await Task.yield() }
        task.cancel()
        await task.value
        #expect(store.broadcaster.subscriberCount == 0)
    }

    @Test("a write is announced at once, and the policy compiled then reflects it")
    func compiledPolicyFollowsWrites() async throws {
        let domainName = Fixtures.domain("a.example.com")
        let domain = try await store.createDomain(account: Fixtures.alice, name: domainName)
        let list = try await store.createIPAccessControlList(account: Fixtures.alice, friendlyName: "l")
        _ = try await store.createMapping(.authCalls, domain: domain.sid, list: list.sid, account: Fixtures.alice)
        var changes = store.changes().makeAsyncIterator()
        _ = await changes.next()

        let clock = ContinuousClock()
        let start = clock.now
        _ = try await store.createIPAddress(
            account: Fixtures.alice, list: list.sid, friendlyName: "a", prefix: Fixtures.prefix("192.0.2.0/24"))
        let generation = await changes.next()
        let policy = try await store.compilePolicy()
        let elapsed = clock.now - start
        #expect(policy.generation == generation)
        #expect(policy.decide(domain: domainName, source: Fixtures.address("192.0.2.7")).isAdmitted)
        // Notification is push, not polling: the whole round trip takes milliseconds. The
        // bound is loose because parallel debug tests share two cores; the 50 ms target is
        // measured by the benchmark, on a release build.
        #expect(elapsed < .seconds(1))
    }
}
