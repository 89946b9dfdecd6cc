import Foundation
import TestSupport
import Testing

/// Everything one call-flow test runs against: sipfence in front of Kamailio, with two
/// sipp UASs behind it, and a domain whose list admits 127.0.0.2 and ::1.
struct World {
    let directory: URL
    let daemon: ManagedProcess
    let listening: SipfenceDaemon.Listening
    let api: APIClient
    let domainSID: String
    let listSID: String

    static let domain = "trunk.sipfence.test"

    /// A sipp call from `caller` through sipfence over `transport` (`u1`/`t1`).
    func call(
        _ scenario: String = "uac-call.xml",
        from caller: String = "127.0.0.2",
        transport: String = "u1",
        domain: String = World.domain,
        user: String? = nil,
        keys: [String: String] = [:],
        values: [String: String] = [:],
        arguments: [String] = [],
        timeout: Int = 15
    ) async throws -> Sipp.Outcome {
        let ipv6 = caller.contains(":")
        let target = transport == "t1" ? (ipv6 ? listening.tcp6 : listening.tcp4) : (ipv6 ? listening.udp6 : listening.udp4)
        let allKeys = ["domain": domain, "max_forwards": "70"].merging(keys) { $1 }
        return try await Sipp.call(
            scenario: scenario, from: caller, to: target, transport: transport, service: user ?? "15550100",
            keys: allKeys, values: values, arguments: arguments, timeout: timeout, in: directory
        )
    }

    /// Runs `body` in a fresh world; every process is stopped afterwards.
    static func with(
        upstreamTransport: String = "udp", environment: [String: String] = [:], _ body: (World) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory { directory in
            let kamailioPort = try Ports.free()
            let uasPort = try Ports.free()
            let cancelUASPort = try Ports.free()
            try await Sipp.uas(scenario: "uas.xml", port: uasPort, in: directory) { _ in
                try await Sipp.uas(scenario: "uas-cancel.xml", port: cancelUASPort, in: directory) { _ in
                    try await Kamailio.run(port: kamailioPort, uasPort: uasPort, cancelUASPort: cancelUASPort, in: directory) { _ in
                        let configuration = try SipfenceDaemon.writeConfiguration(
                            in: directory, upstream: "\(upstreamTransport):127.0.0.1:\(kamailioPort)"
                        )
                        try await SipfenceDaemon.run(configuration: configuration, environment: environment) {
                            daemon, listening, api in
                            let (domainSID, listSID) = try await api.provision(domain: domain, addresses: ["127.0.0.2", "::1"])
                            try await body(
                                World(
                                    directory: directory, daemon: daemon, listening: listening, api: api,
                                    domainSID: domainSID, listSID: listSID
                                )
                            )
                        }
                    }
                }
            }
        }
    }
}

@Suite("Integration: calls through sipfence, Kamailio and sipp", .serialized)
struct CallFlowTests {
    @Test("a complete call (INVITE/100/180/200/ACK/BYE/200) passes", arguments: ["u1", "t1"])
    func completeCall(transport: String) async throws {
        try await World.with { world in
            let outcome = try await world.call(transport: transport)
            #expect(outcome.succeeded, "\(outcome.output.suffix(2000))\n\(world.daemon.standardError.suffix(3000))")
            #expect(try await world.api.metric("sipfence_sip_messages_total{method=\"INVITE\",transport=\"\(transport == "t1" ? "tcp" : "udp")\",verdict=\"admitted\"}") == 1)
            #expect(try await world.api.metric("sipfence_sip_messages_total{method=\"BYE\"") >= 1)
        }
    }

    @Test("the upstream can be reached over TCP")
    func tcpUpstream() async throws {
        try await World.with(upstreamTransport: "tcp") { world in
            let outcome = try await world.call()
            #expect(outcome.succeeded, "\(outcome.output.suffix(2000))\n\(world.daemon.standardError.suffix(3000))")
        }
    }

    @Test("an INVITE from outside the lists gets 403, and its ACK is absorbed")
    func refused() async throws {
        try await World.with { world in
            let outcome = try await world.call("uac-refused.xml", from: "127.0.0.3", values: ["STATUS": "403"])
            #expect(outcome.succeeded, "\(outcome.output.suffix(2000))")
            #expect(try await world.api.metric("sipfence_sip_messages_total{method=\"INVITE\",transport=\"udp\",verdict=\"rejected\"}") == 1)
            #expect(try await world.api.metric("sipfence_sip_messages_total{method=\"ACK\",transport=\"udp\",verdict=\"absorbed\"}") == 1)
            #expect(try await world.api.metric("sipfence_sip_messages_total{method=\"ACK\",transport=\"udp\",verdict=\"forwarded\"}") == 0)
        }
    }

    @Test("messages count by registered method; other methods count as other, unreadable messages as unknown")
    func messageCounterLabels() async throws {
        try await World.with { world in
            let caller = try UDPSocket(bindingTo: "127.0.0.3")
            let port = world.listening.port(world.listening.udp4)
            func request(_ method: String, _ index: Int) -> [UInt8] {
                Array(
                    ("\(method) sip:1@\(World.domain) SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.3:5060;rport;branch=z9hG4bKlabel\(index)\r\n"
                        + "Max-Forwards: 70\r\nFrom: <sip:a@127.0.0.3>;tag=1\r\nTo: <sip:1@\(World.domain)>\r\n"
                        + "Call-ID: label-\(index)\r\nCSeq: 1 \(method)\r\nContent-Length: 0\r\n\r\n").utf8)
            }
            try caller.send(request("INVITE", 1), to: "127.0.0.1", port: port)
            #expect(caller.receive(within: 5) != nil, "the INVITE was not answered")
            try caller.send(request("FROBNICATE", 2), to: "127.0.0.1", port: port)
            try caller.send(request("XYZZY", 3), to: "127.0.0.1", port: port)
            // No method can be read from this one.
            try caller.send(Array("<<< >>>\r\n\r\n".utf8), to: "127.0.0.1", port: port)
            try await Task.sleep(for: .milliseconds(300))
            /// The sum of the message counter's samples whose labels start with `labels`.
            func count(_ labels: String) async throws -> Double {
                let prefix = "sipfence_sip_messages_total{\(labels)"
                return try await world.api.metrics().split(separator: "\n").filter { $0.hasPrefix(prefix) }
                    .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
            }
            #expect(try await count("method=\"INVITE\",transport=\"udp\",verdict=\"rejected\"") == 1)
            #expect(try await count("method=\"other\",transport=\"udp\"") == 2, "two requests of unregistered methods")
            #expect(try await count("method=\"unknown\",transport=\"udp\"") == 1)
            #expect(try await count("method=\"FROBNICATE\"") == 0)
        }
    }

    /// Regression: `CidrPrefixLength=0` (Twilio's default, "the entire IP address") was
    /// stored as /0 and admitted every source.
    @Test("an entry created with CidrPrefixLength=0 admits its own address only")
    func zeroPrefixLengthMeansOneAddress() async throws {
        try await World.with { world in
            let created = try await world.api.request(
                "POST", "\(world.api.accountPath)/IpAccessControlLists/\(world.listSID)/IpAddresses.json",
                form: [("FriendlyName", "default length"), ("IpAddress", "127.0.0.5"), ("CidrPrefixLength", "0")])
            #expect(created.status == 201, "\(created.text)")
            #expect(created.json["cidr_prefix_length"] as? Int == 32)
            let outcome = try await world.call("uac-refused.xml", from: "127.0.0.3", values: ["STATUS": "403"])
            #expect(outcome.succeeded, "\(outcome.output.suffix(2000))")
            #expect(try await world.api.metric("sipfence_sip_messages_total{method=\"INVITE\",transport=\"udp\",verdict=\"rejected\"}") == 1)
        }
    }

    @Test("a CANCEL before the answer ends the call with 487")
    func cancel() async throws {
        try await World.with { world in
            let outcome = try await world.call("uac-cancel.xml", user: "cancel-me")
            #expect(outcome.succeeded, "\(outcome.output.suffix(2000))\n\(world.daemon.standardError.suffix(3000))")
        }
    }

    @Test("an INVITE for an unknown domain gets 403")
    func unknownDomain() async throws {
        try await World.with { world in
            let outcome = try await world.call("uac-refused.xml", domain: "nobody.sipfence.test", values: ["STATUS": "403"])
            #expect(outcome.succeeded, "\(outcome.output.suffix(2000))")
            #expect(try await world.api.metric("sipfence_sip_messages_total{method=\"INVITE\",transport=\"udp\",verdict=\"unknown_domain\"}") == 1)
        }
    }

    @Test("Max-Forwards 0 gets 483")
    func tooManyHops() async throws {
        try await World.with { world in
            let outcome = try await world.call("uac-refused.xml", keys: ["max_forwards": "0"], values: ["STATUS": "483"])
            #expect(outcome.succeeded, "\(outcome.output.suffix(2000))")
        }
    }

    @Test("an IPv6 caller on ::1 completes a call")
    func ipv6() async throws {
        try await World.with { world in
            let outcome = try await world.call(from: "::1")
            #expect(outcome.succeeded, "\(outcome.output.suffix(2000))\n\(world.daemon.standardError.suffix(3000))")
        }
    }

    @Test("a mapping deleted through the API refuses the very next INVITE; created again, it admits")
    func liveMappingChanges() async throws {
        try await World.with { world in
            try await world.api.unmap(list: world.listSID, from: world.domainSID)
            let refused = try await world.call("uac-refused.xml", values: ["STATUS": "403"])
            #expect(refused.succeeded, "\(refused.output.suffix(2000))")
            try await world.api.map(list: world.listSID, to: world.domainSID)
            let admitted = try await world.call()
            #expect(admitted.succeeded, "\(admitted.output.suffix(2000))")
        }
    }
}
