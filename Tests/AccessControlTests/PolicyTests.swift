import Testing

@testable import AccessControl

@Suite("Policy")
struct PolicyTests {
    let carrier = AccessList(id: "AL1", name: "carrier", prefixes: [try! IPPrefix("192.0.2.0/24"), try! IPPrefix("2001:db8::/32")])
    let office = AccessList(id: "AL2", name: "office", prefixes: [try! IPPrefix("192.0.2.128/25"), try! IPPrefix("198.51.100.7")])

    func policy() -> Policy {
        Policy(
            generation: 7,
            lists: [carrier, office],
            mappings: [
                DomainName(normalizing: "trunk.example.com"): ["AL1", "AL2", "AL1"],
                DomainName(normalizing: "office.example.com"): ["AL2"],
                DomainName(normalizing: "closed.example.com"): [],
                DomainName(normalizing: "ghost.example.com"): ["AL404"],
            ]
        )
    }

    @Test("admits sources in any mapped list, naming the most specific match")
    func admits() throws {
        let policy = policy()
        let domain = DomainName(normalizing: "TRUNK.Example.com.")
        #expect(
            policy.decide(domain: domain, source: try IPAddress("192.0.2.10"))
                == .admit(AccessMatch(listID: "AL1", listName: "carrier", prefix: try IPPrefix("192.0.2.0/24"))))
        #expect(
            policy.decide(domain: domain, source: try IPAddress("192.0.2.200"))
                == .admit(AccessMatch(listID: "AL2", listName: "office", prefix: try IPPrefix("192.0.2.128/25"))))
        #expect(policy.decide(domain: domain, source: try IPAddress("198.51.100.7")).isAdmitted)
        #expect(policy.decide(domain: domain, source: try IPAddress("2001:db8:1::5")).isAdmitted)
        #expect(policy.decide(domain: domain, source: try IPAddress("::ffff:192.0.2.10")).isAdmitted)
        #expect(policy.rule(for: domain)?.lists.map(\.id) == ["AL1", "AL2"])
    }

    @Test("rejects with the reason")
    func rejects() throws {
        let policy = policy()
        #expect(
            policy.decide(domain: DomainName(normalizing: "office.example.com"), source: try IPAddress("192.0.2.10"))
                == .reject(.sourceNotInAnyList))
        #expect(
            policy.decide(domain: DomainName(normalizing: "closed.example.com"), source: try IPAddress("192.0.2.10"))
                == .reject(.noListMapped))
        #expect(
            policy.decide(domain: DomainName(normalizing: "ghost.example.com"), source: try IPAddress("192.0.2.10"))
                == .reject(.noListMapped))
        #expect(
            policy.decide(domain: DomainName(normalizing: "other.example.com"), source: try IPAddress("192.0.2.10"))
                == .reject(.unknownDomain))
        #expect(Policy.empty.decide(domain: DomainName(normalizing: "x"), source: try IPAddress("::1")) == .reject(.unknownDomain))
        #expect(policy.generation == 7)
        #expect(policy.domainCount == 4)
        #expect(policy.prefixCount == 4)
    }

    @Test(
        "domain names normalise and validate",
        arguments: [
            ("Example.COM.", "example.com", true),
            ("sip.example.com", "sip.example.com", true),
            ("a-b.c", "a-b.c", true),
            ("-a.c", "-a.c", false),
            ("a..c", "a..c", false),
            ("a_b.c", "a_b.c", false),
            (".", ".", false),
            ("", "", false),
            ("x.", "x", true),
            ("X", "x", true),
            ("sip.example.com..", "sip.example.com.", false),
            ("ünïcode.Example", "ünïcode.example", false),
        ]
    )
    func domainNames(text: String, normalized: String, valid: Bool) {
        #expect(DomainName(normalizing: text).normalized == normalized)
        #expect(((try? DomainName(validating: text)) != nil) == valid)
    }
}
