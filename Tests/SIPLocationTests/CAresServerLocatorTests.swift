import AccessControl
import SIPCore
import SIPLocation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// RFC 3263 §4 server location through c-ares against a real DNS server (dnsmasq).
@Suite("CAresServerLocator")
struct CAresServerLocatorTests {
    /// A locator that asks `server` only.
    private static func locator(
        _ server: String, timeout: Duration = .seconds(2), cacheCapacity: Int = 4096, preferredFamily: IPAddress.Family = .ipv6
    ) throws -> CAresServerLocator {
        try CAresServerLocator(servers: [server], cacheCapacity: cacheCapacity, timeout: timeout, preferredFamily: preferredFamily)
    }

    /// Targets written as `udp:192.0.2.1:5060`, for readable expectations.
    private static func written(_ targets: [SIPServerTarget]) -> [String] {
        targets.map(\.description)
    }

    /// One `locate` call and what it should return.
    struct Case: Sendable, CustomTestStringConvertible {
        var host: String
        var port: Int? = nil
        var transport: SIPTransport? = nil
        var secure = false
        var expected: [String]

        var testDescription: String {
            "\(secure ? "sips" : "sip"):\(host)\(port.map { ":\($0)" } ?? "")\(transport.map { ";transport=\($0.rawValue)" } ?? "")"
        }
    }

    @Test(
        "An IP address literal is its own target, without DNS (RFC 3263 §4.1, §4.2)",
        arguments: [
            Case(host: "192.0.2.7", expected: ["udp:192.0.2.7:5060"]),
            Case(host: "2001:db8::7", port: 5070, transport: .tcp, expected: ["tcp:[2001:db8::7]:5070"]),
            Case(host: "[2001:db8::7]", expected: ["udp:[2001:db8::7]:5060"]),
            Case(host: "192.0.2.7", secure: true, expected: ["tls:192.0.2.7:5061"]),
            Case(host: "192.0.2.7", transport: .tls, expected: ["tls:192.0.2.7:5061"]),
        ])
    func ipLiteral(_ example: Case) async throws {
        // A server that never answers: any DNS query would time out.
        let silent = try BoundSocket(type: SOCK_DGRAM, port: 0)
        let locator = try Self.locator("127.0.0.1:\(silent.port)", timeout: .milliseconds(300))
        let targets = try await locator.locate(host: example.host, port: example.port, transport: example.transport, secure: example.secure)
        #expect(Self.written(targets) == example.expected)
        #expect(locator.cachedAnswerCount == 0)
    }

    @Test(
        "Host names go through SRV, then A and AAAA (RFC 3263 §4.1, §4.2)",
        arguments: [
            // SRV records in priority order (10, 20, 30), each target's addresses.
            Case(host: "prio.example.test", expected: ["udp:[2001:db8::1]:5070", "udp:192.0.2.1:5070", "udp:192.0.2.2:5071", "udp:192.0.2.3:5072"]),
            // A port in the URI: A/AAAA of the host itself, no SRV.
            Case(host: "prio.example.test", port: 5099, expected: ["udp:192.0.2.99:5099"]),
            Case(host: "PRIO.Example.Test.", port: 5099, transport: .tcp, expected: ["tcp:192.0.2.99:5099"]),
            // No transport: UDP's SRV targets, then TCP's.
            Case(host: "both.example.test", expected: ["udp:[2001:db8::1]:5080", "udp:192.0.2.1:5080", "tcp:192.0.2.2:5081"]),
            Case(host: "tcponly.example.test", expected: ["tcp:192.0.2.3:5090"]),
            // A transport given: only its SRV records.
            Case(host: "both.example.test", transport: .tcp, expected: ["tcp:192.0.2.2:5081"]),
            // sips: _sips._tcp, both families of the target.
            Case(host: "secure.example.test", secure: true, expected: ["tls:[2001:db8::1]:5061", "tls:192.0.2.1:5061"]),
            // No SRV records: A/AAAA at the default port.
            Case(host: "plain.example.test", expected: ["udp:[2001:db8::10]:5060", "udp:192.0.2.10:5060"]),
            Case(host: "plain.example.test", transport: .tcp, expected: ["tcp:[2001:db8::10]:5060", "tcp:192.0.2.10:5060"]),
            Case(host: "plain.example.test", secure: true, expected: ["tls:[2001:db8::10]:5061", "tls:192.0.2.10:5061"]),
            // WebSocket has no SRV names (RFC 7118).
            Case(host: "plain.example.test", transport: .ws, expected: ["ws:[2001:db8::10]:5060", "ws:192.0.2.10:5060"]),
        ])
    func hostName(_ example: Case) async throws {
        try await DNSMasq.run(.standard()) { dns in
            let locator = try Self.locator(dns.server)
            let targets = try await locator.locate(
                host: example.host, port: example.port, transport: example.transport, secure: example.secure)
            #expect(Self.written(targets) == example.expected)
        }
    }

    @Test("IPv4 first when preferred")
    func preferredFamily() async throws {
        try await DNSMasq.run(.standard()) { dns in
            let locator = try Self.locator(dns.server, preferredFamily: .ipv4)
            let targets = try await locator.locate(host: "plain.example.test", port: nil, transport: nil, secure: false)
            #expect(Self.written(targets) == ["udp:192.0.2.10:5060", "udp:[2001:db8::10]:5060"])
        }
    }

    @Test(
        "DNS's refusals are typed errors",
        arguments: [
            ("missing.example.test", SIPLocationError.nameNotFound("missing.example.test")),
            // The SRV record exists, its target does not.
            ("lost.example.test", SIPLocationError.nameNotFound("missing.example.test")),
            // The only SRV record has the target ".".
            ("denied.example.test", SIPLocationError.serviceNotAvailable("denied.example.test")),
            // dnsmasq is not authoritative for other zones and refuses (the reason is c-ares's text).
            ("elsewhere.invalid", SIPLocationError.serverFailure(name: "_sip._udp.elsewhere.invalid", reason: "")),
        ])
    func refusal(host: String, expected: SIPLocationError) async throws {
        try await DNSMasq.run(.standard()) { dns in
            let locator = try Self.locator(dns.server)
            await #expect {
                try await locator.locate(host: host, port: nil, transport: .udp, secure: false)
            } throws: { error in
                switch (error as? SIPLocationError, expected) {
                case (.serverFailure(let name, let reason), .serverFailure(let expectedName, _)):
                    name == expectedName && !reason.isEmpty
                case (let thrown, _):
                    thrown == expected
                }
            }
        }
    }

    @Test("Arguments that cannot be looked up are typed errors")
    func invalidArguments() async throws {
        let silent = try BoundSocket(type: SOCK_DGRAM, port: 0)
        let locator = try Self.locator("127.0.0.1:\(silent.port)", timeout: .milliseconds(300))
        await #expect(throws: SIPLocationError.invalidHost("")) {
            try await locator.locate(host: "", port: nil, transport: nil, secure: false)
        }
        await #expect(throws: SIPLocationError.invalidHost("bad host")) {
            try await locator.locate(host: "bad host", port: nil, transport: nil, secure: false)
        }
        await #expect(throws: SIPLocationError.invalidPort(70000)) {
            try await locator.locate(host: "192.0.2.1", port: 70000, transport: nil, secure: false)
        }
        #expect(throws: SIPLocationError.self) {
            try CAresServerLocator(servers: ["not an address"])
        }
    }

    @Test("A server that never answers gives a timeout error within the timeout")
    func timeout() async throws {
        let silent = try BoundSocket(type: SOCK_DGRAM, port: 0)
        let timeout = Duration.milliseconds(600)
        let locator = try Self.locator("127.0.0.1:\(silent.port)", timeout: timeout)
        let clock = ContinuousClock()
        let start = clock.now
        await #expect(throws: SIPLocationError.timeout(name: "a.example.test", after: timeout)) {
            try await locator.locate(host: "a.example.test", port: 5060, transport: nil, secure: false)
        }
        let elapsed = clock.now - start
        #expect(elapsed >= timeout * 0.9, "gave up after \(elapsed)")
        #expect(elapsed < timeout + .milliseconds(400), "gave up after \(elapsed)")
    }

    @Test("Answers, negative ones too, come from the cache within their TTL")
    func cacheHit() async throws {
        try await DNSMasq.run(.standard(ttl: 60)) { dns in
            let locator = try Self.locator(dns.server, timeout: .milliseconds(500))
            let first = try await locator.locate(host: "prio.example.test", port: nil, transport: nil, secure: false)
            await #expect(throws: SIPLocationError.nameNotFound("missing.example.test")) {
                try await locator.locate(host: "missing.example.test", port: nil, transport: nil, secure: false)
            }
            #expect(locator.cachedAnswerCount > 0)
            await dns.stop()

            let again = try await locator.locate(host: "prio.example.test", port: nil, transport: nil, secure: false)
            #expect(again == first)
            await #expect(throws: SIPLocationError.nameNotFound("missing.example.test")) {
                try await locator.locate(host: "missing.example.test", port: nil, transport: nil, secure: false)
            }
        }
    }

    @Test("After the TTL, the locator asks again")
    func cacheExpiry() async throws {
        try await DNSMasq.run(.standard(ttl: 1)) { dns in
            let locator = try Self.locator(dns.server, timeout: .milliseconds(500))
            let first = try await locator.locate(host: "prio.example.test", port: nil, transport: nil, secure: false)
            await dns.stop()
            #expect(try await locator.locate(host: "prio.example.test", port: nil, transport: nil, secure: false) == first)

            try await Task.sleep(for: .seconds(2))
            await #expect {
                try await locator.locate(host: "prio.example.test", port: nil, transport: nil, secure: false)
            } throws: { error in
                switch error as? SIPLocationError {
                case .serverFailure, .timeout: true
                default: false
                }
            }
        }
    }

    @Test("The cache holds at most its capacity, dropping the answers that expire soonest")
    func cacheBound() async throws {
        try await DNSMasq.run(.standard(ttl: 60)) { dns in
            let locator = try Self.locator(dns.server, timeout: .milliseconds(500), cacheCapacity: 2)
            for host in ["a.example.test", "b.example.test", "c.example.test"] {
                _ = try await locator.locate(host: host, port: 5060, transport: nil, secure: false)
                #expect(locator.cachedAnswerCount <= 2)
            }
            #expect(locator.cachedAnswerCount == 2)
            await dns.stop()

            // The last name's A and AAAA answers are the ones kept.
            let kept = try await locator.locate(host: "c.example.test", port: 5060, transport: nil, secure: false)
            #expect(Self.written(kept) == ["udp:192.0.2.3:5060"])
            await #expect(throws: SIPLocationError.self) {
                try await locator.locate(host: "a.example.test", port: 5060, transport: nil, secure: false)
            }
        }
    }

    @Test("Concurrent lookups share the resolver thread")
    func concurrentLookups() async throws {
        try await DNSMasq.run(.standard()) { dns in
            let locator = try Self.locator(dns.server, cacheCapacity: 0)
            let results = try await withThrowingTaskGroup(of: [SIPServerTarget].self) { group in
                for _ in 0..<20 {
                    group.addTask { try await locator.locate(host: "prio.example.test", port: nil, transport: nil, secure: false) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.count == 20)
            #expect(Set(results.map(Self.written)).count == 1)
        }
    }
}
