import Foundation
import TestSupport
import Testing

/// Issue 10 against the real daemon on loopback: slow TCP clients, floods, bans through
/// the API, and the fail2ban filter on the daemon's own log. 127.0.0.2 is in the domain's
/// list; 127.0.0.3, .4 and .66 are not.
@Suite("Integration: TCP abuse and flood limits", .serialized)
struct AbuseTests {
    static func invite(from host: String, port: Int, transport: String, callID: String) -> String {
        """
        INVITE sip:15550100@\(World.domain) SIP/2.0\r
        Via: SIP/2.0/\(transport) \(host):\(port);branch=z9hG4bK-\(callID);rport\r
        Max-Forwards: 70\r
        From: <sip:caller@\(host)>;tag=abuse\r
        To: <sip:15550100@\(World.domain)>\r
        Call-ID: \(callID)\r
        CSeq: 1 INVITE\r
        Contact: <sip:caller@\(host):\(port)>\r
        Content-Length: 0\r
        \r

        """
    }

    @Test("a slowloris source cannot lock a known caller out; its half requests time out")
    func slowloris() async throws {
        let environment = [
            "SIPFENCE_SIP_MAX_TCP_CONNECTIONS": "64",
            "SIPFENCE_SIP_MAX_TCP_CONNECTIONS_PER_SOURCE": "8",
            "SIPFENCE_SIP_TCP_MESSAGE_TIMEOUT": "2",
        ]
        try await World.with(environment: environment) { world in
            let port = world.listening.port(world.listening.tcp4)
            // The attack of the issue: a whole budget of connections from one source, each
            // with half a request line.
            var attack: [TCPClient] = []
            for _ in 0..<64 {
                let client = try TCPClient(from: "127.0.0.66", to: "127.0.0.1", port: port)
                client.send("INVITE sip:")
                attack.append(client)
            }
            let outcome = try await world.call(transport: "t1")
            #expect(outcome.succeeded, "\(outcome.output.suffix(2000))\n\(world.daemon.standardError.suffix(3000))")
            #expect(try await world.api.metric("sipfence_tcp_connections_refused_total{reason=\"per_source_limit\"}") == 56)
            // The eight that were accepted are closed once the message deadline passes.
            let closed = attack.map { $0.receive(within: 5) }.filter { $0 == .closed }.count
            #expect(closed == 64)
            #expect(try await world.api.metric("sipfence_tcp_connections_closed_total{reason=\"message_timeout\"}") == 8)
            #expect(world.daemon.standardError.contains("TCP connection refused"))
        }
    }

    @Test("a flooding source is dropped, then banned, listed and lifted through the API, then released; known callers and the upstream are not limited")
    func floodAndBans() async throws {
        let environment = [
            "SIPFENCE_SIP_FLOOD_UNKNOWN_SOURCE_RATE": "5",
            "SIPFENCE_SIP_FLOOD_UNKNOWN_SOURCE_BURST": "5",
            "SIPFENCE_SIP_FLOOD_BAN_AFTER_SECONDS": "1",
            "SIPFENCE_SIP_FLOOD_BAN_SECONDS": "6",
            "SIPFENCE_OPERATORS": SipfenceDaemon.accountSID,
        ]
        try await World.with(environment: environment) { world in
            let udpPort = world.listening.port(world.listening.udp4)
            let tcpPort = world.listening.port(world.listening.tcp4)

            // A UDP flood from 127.0.0.3: answered up to its burst, then dropped, then banned.
            let udp = try UDPSocket(bindingTo: "127.0.0.3")
            var udpAnswers = 0
            for index in 0..<150 {
                try udp.send(Array(Self.invite(from: "127.0.0.3", port: udp.port, transport: "UDP", callID: "udp-\(index)").utf8), to: "127.0.0.1", port: udpPort)
                while udp.receive(within: 0) != nil { udpAnswers += 1 }
                try await Task.sleep(for: .milliseconds(10))
            }
            while udp.receive(within: 0.2) != nil { udpAnswers += 1 }
            #expect(udpAnswers >= 5 && udpAnswers < 30, "\(udpAnswers) answers")

            // A TCP flood from 127.0.0.4: its connection is closed when it is banned.
            let tcp = try TCPClient(from: "127.0.0.4", to: "127.0.0.1", port: tcpPort)
            var tcpClosed = false
            for index in 0..<300 where !tcpClosed {
                tcpClosed = !tcp.send(Self.invite(from: "127.0.0.4", port: 5060, transport: "TCP", callID: "tcp-\(index)"))
                if tcp.receive(within: 0.01) == .closed { tcpClosed = true }
            }
            #expect(tcpClosed)

            // Meanwhile the known caller's calls, and the upstream's answers, pass.
            let outcome = try await world.call(arguments: ["-m", "20", "-r", "20"])
            #expect(outcome.succeeded, "\(outcome.output.suffix(2000))")

            // The operator sees both bans, marked with their transports.
            let listed = try await world.api.request("GET", "/sipfence/v1/bans")
            #expect(listed.status == 200, "\(listed.text)")
            let bans = listed.json["bans"] as? [[String: Any]] ?? []
            #expect(Set(bans.compactMap { $0["address"] as? String }) == ["127.0.0.3", "127.0.0.4"], "\(listed.text)")
            #expect(bans.first { $0["address"] as? String == "127.0.0.3" }?["transport"] as? String == "udp")
            #expect(bans.first { $0["address"] as? String == "127.0.0.4" }?["transport"] as? String == "tcp")
            #expect(bans.allSatisfy { $0["reason"] as? String == "request_rate" })
            // Another account may not.
            var other = world.api
            other.accountSID = SipfenceDaemon.otherAccountSID
            other.authToken = SipfenceDaemon.otherAuthToken
            let forbidden = try await other.request("GET", "/sipfence/v1/bans")
            #expect(forbidden.status == 403 && forbidden.json["code"] as? Int == 20403, "\(forbidden.text)")

            #expect(try await world.api.metric("sipfence_flood_dropped_total{reason=\"over_limit\",transport=\"udp\"}") > 0)
            #expect(try await world.api.metric("sipfence_flood_dropped_total{reason=\"banned\",transport=\"udp\"}") > 0)
            #expect(try await world.api.metric("sipfence_flood_bans_total{reason=\"request_rate\",transport=\"tcp\"}") == 1)
            #expect(try await world.api.metric("sipfence_flood_bans_total{reason=\"request_rate\",transport=\"udp\"}") == 1)

            // Lifted through the API: 127.0.0.3 is answered again at once.
            #expect(try await world.api.request("DELETE", "/sipfence/v1/bans/127.0.0.3").status == 204)
            try udp.send(Array(Self.invite(from: "127.0.0.3", port: udp.port, transport: "UDP", callID: "after-lift").utf8), to: "127.0.0.1", port: udpPort)
            let answer = udp.receive(within: 5).map { String(decoding: $0, as: UTF8.self) } ?? ""
            #expect(answer.hasPrefix("SIP/2.0 403 Forbidden"), "\(answer)")

            // 127.0.0.4's ban ends by itself: refused at accept until then, answered after.
            let during = try TCPClient(from: "127.0.0.4", to: "127.0.0.1", port: tcpPort)
            during.send(Self.invite(from: "127.0.0.4", port: 5060, transport: "TCP", callID: "during-ban"))
            #expect(during.receive(within: 5) == .closed)
            try await Task.sleep(for: .seconds(6))
            let after = try TCPClient(from: "127.0.0.4", to: "127.0.0.1", port: tcpPort)
            after.send(Self.invite(from: "127.0.0.4", port: 5060, transport: "TCP", callID: "after-ban"))
            guard case .bytes(let text) = after.receive(within: 5) else {
                Issue.record("no answer after the ban ended")
                return
            }
            #expect(text.hasPrefix("SIP/2.0 403 Forbidden"))

            // The daemon's log, read by the fail2ban filter shipped in config/: the TCP ban
            // matches, the UDP one does not.
            let log = world.directory.appendingPathComponent("sipfence.log")
            try world.daemon.standardError.write(to: log, atomically: true, encoding: .utf8)
            #expect(world.daemon.standardError.contains("flood ban: source 127.0.0.3 transport udp reason request_rate"))
            let filter = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("config/fail2ban/filter.d/sipfence.conf").path
            try await ManagedProcess.run("/usr/bin/fail2ban-regex", arguments: ["--print-all-matched", log.path, filter]) { check in
                let status = try await check.waitForExit()
                #expect(status == 0, "\(check.standardError)")
                let output = check.standardOutput
                #expect(output.contains("Lines:") && output.contains(" 1 matched"), "\(output)")
                #expect(output.contains("flood ban: source 127.0.0.4 transport tcp"), "\(output)")
                #expect(!output.contains("flood ban: source 127.0.0.3 transport udp reason request_rate prefix 127.0.0.3/32 seconds 6 offences"), "\(output)")
            }
        }
    }
}
