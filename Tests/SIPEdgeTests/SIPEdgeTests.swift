import AccessControl
import Admission
import Foundation
import Logging
import NIOCore
import NIOPosix
import SIPCore
import SIPEdge
import SIPLocation
import Testing

/// A resolver that knows a fixed set of names: DNS through a stub.
struct StubLocator: SIPServerLocating {
    let names: [String: [SIPServerTarget]]

    func locate(host: String, port: Int?, transport: SIPTransport?, secure: Bool) async throws(SIPLocationError) -> [SIPServerTarget] {
        guard let targets = names[host] else { throw .nameNotFound(host) }
        return targets
    }
}

/// The upstream proxy as the tests play it: a UDP socket's two directions.
struct Upstream: Sendable {
    let endpoint: SIPEndpoint
    let inbound: NIOAsyncChannelInboundStream<AddressedEnvelope<ByteBuffer>>
    let outbound: NIOAsyncChannelOutboundWriter<AddressedEnvelope<ByteBuffer>>
}

/// A UDP socket on a loopback address, for playing a SIP client or the upstream proxy.
struct UDPPeer {
    let channel: NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>
    let port: Int

    static func bind(_ host: String) async throws -> UDPPeer {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: host, port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(wrappingChannelSynchronously: channel)
                }
            }
        return UDPPeer(channel: channel, port: channel.channel.localAddress?.port ?? 0)
    }
}

/// The next element of `iterator`, or `EdgeTestError.closed` at its end. Tests bound
/// their waiting with ``withTimeout(_:_:)`` around the whole body.
func next<Iterator: AsyncIteratorProtocol>(_ iterator: inout Iterator) async throws -> Iterator.Element {
    guard let element = try await iterator.next() else { throw EdgeTestError.closed }
    return element
}

/// Runs `body`, cancelling it and failing with `EdgeTestError.timeout` after `seconds`.
func withTimeout<Result: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () async throws -> Result) async throws -> Result {
    try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let result = first else { throw EdgeTestError.timeout }
        return result
    }
}

enum EdgeTestError: Error {
    case timeout
    case closed
}

func text(_ buffer: ByteBuffer) -> String {
    String(buffer: buffer)
}

func sipText(_ text: String) -> String {
    text.replacingOccurrences(of: "\n", with: "\r\n")
}

@Suite("SIP edge on loopback sockets", .serialized)
struct SIPEdgeTests {
    static let keyring = SIPKeyring.random()
    static let domain = "trunk.example.com"

    static let policy = Policy(
        generation: 1,
        lists: [AccessList(id: "AL1", name: "callers", prefixes: [try! IPPrefix("127.0.0.2/32"), try! IPPrefix("::1/128")])],
        mappings: [DomainName(normalizing: domain): ["AL1"]]
    )

    static func invite(via: String, callID: String = "edge-\(UUID().uuidString)", body: String = "v=0\r\n") -> String {
        sipText(
            """
            INVITE sip:+15550100@\(domain) SIP/2.0
            Via: SIP/2.0/\(via);branch=z9hG4bK\(callID.hashValue.magnitude);rport
            Max-Forwards: 70
            From: <sip:caller@example.net>;tag=from1
            To: <sip:+15550100@\(domain)>
            Call-ID: \(callID)
            CSeq: 1 INVITE
            Content-Length: \(body.utf8.count)


            """) + body
    }

    /// Runs `body` against an edge listening on UDP and TCP on 127.0.0.1 and UDP on ::1,
    /// with a UDP upstream played by the test.
    func withEdge(
        maxMessageBytes: Int = 65_536,
        maxTCPConnections: Int = 64,
        tcpIdleTimeout: Duration = .seconds(600),
        listen: [String] = ["udp:127.0.0.1:0", "tcp:127.0.0.1:0", "udp:[::1]:0"],
        upstreamOverride: SIPEndpoint? = nil,
        locator: (any SIPServerLocating)? = nil,
        configure: (inout SIPEdgeConfiguration) -> Void = { _ in },
        _ body: @escaping @Sendable (SIPEdge, [SIPEdge.Listener], Upstream) async throws -> Void
    ) async throws {
        let upstream = try await UDPPeer.bind("127.0.0.1")
        var configuration = SIPEdgeConfiguration(
            listen: try listen.map { try SIPEndpoint($0) },
            upstream: try upstreamOverride ?? SIPEndpoint("udp:127.0.0.1:\(upstream.port)"),
            keyring: Self.keyring,
            maxMessageBytes: maxMessageBytes,
            maxTCPConnections: maxTCPConnections,
            tcpIdleTimeout: tcpIdleTimeout,
            // The load of these tests is not a flood; the flood tests set their limits.
            flood: .unlimited
        )
        configure(&configuration)
        let (listening, announce) = AsyncStream.makeStream(of: [SIPEdge.Listener].self, bufferingPolicy: .bufferingNewest(1))
        let edge = SIPEdge(
            configuration: configuration,
            policy: LivePolicy(Self.policy),
            logger: Logger(label: "sipfence.test", factory: { _ in SwiftLogNoOpLogHandler() }),
            locator: locator,
            onListening: { announce.yield($0) }
        )
        try await upstream.channel.executeThenClose { upstreamInbound, upstreamOutbound in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await edge.run() }
                defer { group.cancelAll() }
                let listeners = try await withTimeout(10) {
                    var announcements = listening.makeAsyncIterator()
                    return try await next(&announcements)
                }
                let peer = Upstream(endpoint: configuration.upstream, inbound: upstreamInbound, outbound: upstreamOutbound)
                try await withTimeout(20) { try await body(edge, listeners, peer) }
            }
        }
    }

    func address(_ listeners: [SIPEdge.Listener], _ transport: SIPTransport, ipv6: Bool = false) throws -> SocketAddress {
        let listener = try #require(listeners.first { $0.bound.transport == transport && ($0.bound.address.family == .ipv6) == ipv6 })
        return try SocketAddress(ipAddress: listener.bound.address.description, port: listener.bound.port)
    }

    @Test("UDP: a refused INVITE gets 403; an admitted one reaches the upstream and its answer comes back")
    func udp() async throws {
        try await withEdge { edge, listeners, upstream in
            let edgeAddress = try address(listeners, .udp)
            for (host, admitted) in [("127.0.0.3", false), ("127.0.0.2", true)] {
                let client = try await UDPPeer.bind(host)
                try await client.channel.executeThenClose { inbound, outbound in
                    var responses = inbound.makeAsyncIterator()
                    let invite = Self.invite(via: "UDP \(host):\(client.port)")
                    try await outbound.write(AddressedEnvelope(remoteAddress: edgeAddress, data: ByteBuffer(string: invite)))
                    if !admitted {
                        let response = try await next(&responses)
                        #expect(text(response.data).hasPrefix("SIP/2.0 403 Forbidden\r\n"))
                        return
                    }
                    // The upstream sees the INVITE with sipfence's Via on top, and answers it.
                    do {
                        var requests = upstream.inbound.makeAsyncIterator()
                        let forwarded = try await next(&requests)
                        let message = try SIPMessage(parsing: Array(forwarded.data.readableBytesView), framing: .datagram)
                        #expect(message.vias.count == 2 && message.maxForwards == 69)
                        #expect(message.topVia.port == edgeAddress.port)
                        let vias = message.fields(.via).map { "Via: \(message.value(of: $0))\r\n" }.joined()
                        let ok = "SIP/2.0 200 OK\r\n\(vias)From: <sip:caller@example.net>;tag=from1\r\nTo: <sip:+15550100@\(Self.domain)>;tag=callee\r\nCall-ID: \(message.callID)\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
                        try await upstream.outbound.write(AddressedEnvelope(remoteAddress: forwarded.remoteAddress, data: ByteBuffer(string: ok)))
                    }
                    let response = try await next(&responses)
                    #expect(text(response.data).hasPrefix("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.2:\(client.port);branch="))
                    #expect(response.remoteAddress == edgeAddress, "answers come from the socket the request went to")
                }
            }
            #expect(edge.verdictCounts[.rejected] == 1)
            #expect(edge.verdictCounts[.admitted] == 1)
            #expect(edge.verdictCounts[.relayed] == 1)
        }
    }

    @Test("UDP over IPv6: ::1 is in the list")
    func udpIPv6() async throws {
        try await withEdge { edge, listeners, upstream in
            let edgeAddress = try address(listeners, .udp, ipv6: true)
            let client = try await UDPPeer.bind("::1")
            try await client.channel.executeThenClose { _, outbound in
                try await outbound.write(
                    AddressedEnvelope(remoteAddress: edgeAddress, data: ByteBuffer(string: Self.invite(via: "UDP [::1]:\(client.port)")))
                )
            }
            var requests = upstream.inbound.makeAsyncIterator()
            let forwarded = try await next(&requests)
            #expect(text(forwarded.data).contains("received=::1"))
        }
    }

    @Test("UDP: a datagram over the size limit gets 513")
    func udpTooLarge() async throws {
        try await withEdge(maxMessageBytes: 600) { _, listeners, _ in
            let client = try await UDPPeer.bind("127.0.0.2")
            try await client.channel.executeThenClose { inbound, outbound in
                var responses = inbound.makeAsyncIterator()
                let invite = Self.invite(via: "UDP 127.0.0.2:\(client.port)", body: String(repeating: "a=x\r\n", count: 200))
                try await outbound.write(AddressedEnvelope(remoteAddress: try address(listeners, .udp), data: ByteBuffer(string: invite)))
                #expect(text(try await next(&responses).data).hasPrefix("SIP/2.0 513 Message Too Large\r\n"))
            }
        }
    }

    /// A TCP client on 127.0.0.2 (or `host`).
    func connect(_ listeners: [SIPEdge.Listener], from host: String = "127.0.0.2") async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(to: try SocketAddress(ipAddress: host, port: 0))
            .connect(to: try address(listeners, .tcp)) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
    }

    @Test("TCP: keep-alive pong, framing across segments, relay over the same connection")
    func tcp() async throws {
        try await withEdge { _, listeners, upstream in
            let client = try await connect(listeners)
            let port = client.channel.localAddress?.port ?? 0
            try await client.executeThenClose { inbound, outbound in
                var received = inbound.makeAsyncIterator()
                try await outbound.write(ByteBuffer(string: "\r\n\r\n"))
                #expect(text(try await next(&received)) == "\r\n")

                let invite = Self.invite(via: "TCP 127.0.0.2:\(port)")
                let split = invite.index(invite.startIndex, offsetBy: 40)
                try await outbound.write(ByteBuffer(string: String(invite[..<split])))
                try await Task.sleep(for: .milliseconds(50))
                try await outbound.write(ByteBuffer(string: String(invite[split...])))

                do {
                    var requests = upstream.inbound.makeAsyncIterator()
                    let forwarded = try await next(&requests)
                    let message = try SIPMessage(parsing: Array(forwarded.data.readableBytesView), framing: .datagram)
                    #expect(message.topVia.parameters.first(named: "sf-flow")?.value?.hasPrefix("t") == true)
                    let vias = message.fields(.via).map { "Via: \(message.value(of: $0))\r\n" }.joined()
                    let ringing = "SIP/2.0 180 Ringing\r\n\(vias)From: <sip:caller@example.net>;tag=from1\r\nTo: <sip:+15550100@\(Self.domain)>;tag=callee\r\nCall-ID: \(message.callID)\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
                    try await upstream.outbound.write(AddressedEnvelope(remoteAddress: forwarded.remoteAddress, data: ByteBuffer(string: ringing)))
                }
                #expect(text(try await next(&received)).hasPrefix("SIP/2.0 180 Ringing\r\nVia: SIP/2.0/TCP 127.0.0.2:"))
            }
        }
    }

    @Test("TCP: a message over the limit gets 513 and the connection is closed")
    func tcpTooLarge() async throws {
        try await withEdge(maxMessageBytes: 600) { _, listeners, _ in
            let client = try await connect(listeners)
            let port = client.channel.localAddress?.port ?? 0
            try await client.executeThenClose { inbound, outbound in
                var received = inbound.makeAsyncIterator()
                let invite = Self.invite(via: "TCP 127.0.0.2:\(port)", body: String(repeating: "a=x\r\n", count: 200))
                try await outbound.write(ByteBuffer(string: invite))
                #expect(text(try await next(&received)).hasPrefix("SIP/2.0 513 Message Too Large\r\n"))
                await #expect(throws: EdgeTestError.closed) { _ = try await next(&received) }
            }
        }
    }

    @Test("TCP: connections over the limit are closed at accept")
    func connectionLimit() async throws {
        try await withEdge(maxTCPConnections: 1) { edge, listeners, _ in
            let first = try await connect(listeners)
            try await first.executeThenClose { firstInbound, firstOutbound in
                var firstReceived = firstInbound.makeAsyncIterator()
                try await firstOutbound.write(ByteBuffer(string: "\r\n\r\n"))
                _ = try await next(&firstReceived)
                let second = try await connect(listeners)
                try await second.executeThenClose { inbound, outbound in
                    var received = inbound.makeAsyncIterator()
                    try? await outbound.write(ByteBuffer(string: "\r\n\r\n"))
                    await #expect(throws: (any Error).self) { _ = try await next(&received) }
                }
                // The first connection is unaffected.
                try await firstOutbound.write(ByteBuffer(string: "\r\n\r\n"))
                #expect(text(try await next(&firstReceived)) == "\r\n")
                #expect(edge.openConnections == 1)
            }
        }
    }

    @Test("TCP: a connection that stays silent past the idle timeout is closed")
    func idleTimeout() async throws {
        try await withEdge(tcpIdleTimeout: .milliseconds(300)) { edge, listeners, _ in
            let client = try await connect(listeners)
            try await client.executeThenClose { inbound, outbound in
                var received = inbound.makeAsyncIterator()
                try await outbound.write(ByteBuffer(string: "\r\n\r\n"))
                #expect(text(try await next(&received)) == "\r\n")
                // Silence: the edge closes the connection (the test's own timeout bounds the wait).
                await #expect(throws: EdgeTestError.closed) { _ = try await next(&received) }
            }
            // The edge forgets the connection once its serving task has wound up.
            var waited = 0
            while edge.openConnections > 0 && waited < 100 {
                try await Task.sleep(for: .milliseconds(20))
                waited += 1
            }
            #expect(edge.openConnections == 0)
        }
    }

    @Test("reload binds new listeners and keeps the old ones")
    func reload() async throws {
        try await withEdge { edge, listeners, upstream in
            let before = listeners.first { $0.bound.transport == .udp && $0.bound.address.family == .ipv4 }
            let configuration = SIPEdgeConfiguration(
                listen: listeners.map(\.endpoint) + [try SIPEndpoint("tcp:[::1]:0")],
                upstream: upstream.endpoint,
                keyring: Self.keyring
            )
            try await edge.reload(configuration)
            let after = edge.listeners
            #expect(after.count == listeners.count + 1)
            #expect(after.contains { $0.bound.transport == .tcp && $0.bound.address.family == .ipv6 })
            #expect(after.contains { $0 == before }, "the unchanged UDP socket stays bound on the same port")
        }
    }

    // MARK: In front of a proxy (issue 9)

    @Test(
        "a dual-stack or IPv4-mapped socket writes IPv4 as IPv4 in Via and Record-Route",
        arguments: ["udp:[::]:0", "udp:[::ffff:127.0.0.1]:0"])
    func ipv4OnTheWire(listen: String) async throws {
        try await withEdge(listen: [listen]) { _, listeners, upstream in
            let port = try #require(listeners.first?.bound.port)
            let client = try await UDPPeer.bind("127.0.0.2")
            try await client.channel.executeThenClose { _, outbound in
                let edge = try SocketAddress(ipAddress: "127.0.0.1", port: port)
                try await outbound.write(
                    AddressedEnvelope(remoteAddress: edge, data: ByteBuffer(string: Self.invite(via: "UDP 127.0.0.2:\(client.port)"))))
                var requests = upstream.inbound.makeAsyncIterator()
                let forwarded = text(try await next(&requests).data)
                #expect(forwarded.contains("\r\nVia: SIP/2.0/UDP 127.0.0.1:\(port);branch=z9hG4bKsf"), "\(forwarded)")
                #expect(forwarded.contains("\r\nRecord-Route: <sip:127.0.0.1:\(port);lr;sft="), "\(forwarded)")
                #expect(!forwarded.contains("ffff"))
            }
        }
    }

    @Test("an admitted INVITE that cannot reach the upstream gets 503, never silence")
    func unreachableUpstream() async throws {
        // A TCP upstream where nothing listens: never connected.
        let probe = try await UDPPeer.bind("127.0.0.1")
        let closedPort = probe.port
        try await probe.channel.executeThenClose { _, _ in }
        try await withEdge(listen: ["udp:127.0.0.1:0", "tcp:127.0.0.1:0"], upstreamOverride: try SIPEndpoint("tcp:127.0.0.1:\(closedPort)")) {
            edge, listeners, _ in
            let edgeAddress = try address(listeners, .udp)
            let client = try await UDPPeer.bind("127.0.0.2")
            try await client.channel.executeThenClose { inbound, outbound in
                var responses = inbound.makeAsyncIterator()
                try await outbound.write(
                    AddressedEnvelope(remoteAddress: edgeAddress, data: ByteBuffer(string: Self.invite(via: "UDP 127.0.0.2:\(client.port)"))))
                let response = text(try await next(&responses).data)
                #expect(response.hasPrefix("SIP/2.0 503 Service Unavailable\r\n"), "\(response)")
            }
            #expect(edge.verdictCounts[.admitted] == 1)
        }
    }

    @Test("a request from the upstream to a TCP caller with no open connection opens one (RFC 3261 §18.1.1)")
    func outboundTCP() async throws {
        // The caller's TCP listener, played by the test.
        let (received, receive) = AsyncStream.makeStream(of: String.self)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.2", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        let callerPort = try #require(server.channel.localAddress?.port)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        try await connection.executeThenClose { inbound, _ in
                            for try await chunk in inbound {
                                receive.yield(String(buffer: chunk))
                            }
                        }
                    }
                }
            }
            defer { group.cancelAll() }
            try await withEdge { _, listeners, upstream in
                let edgeAddress = try address(listeners, .udp)
                let bye = sipText(
                    """
                    BYE sip:alice@127.0.0.2:\(callerPort);transport=tcp SIP/2.0
                    Via: SIP/2.0/UDP 127.0.0.1:\(upstream.endpoint.port);branch=z9hG4bKupstreambye
                    Max-Forwards: 70
                    From: <sip:+15550100@\(Self.domain)>;tag=callee
                    To: <sip:caller@example.net>;tag=from1
                    Call-ID: outbound-tcp
                    CSeq: 2 BYE
                    Content-Length: 0


                    """)
                try await upstream.outbound.write(AddressedEnvelope(remoteAddress: edgeAddress, data: ByteBuffer(string: bye)))
                var chunks = received.makeAsyncIterator()
                let delivered = try await next(&chunks)
                #expect(delivered.hasPrefix("BYE sip:alice@127.0.0.2:\(callerPort);transport=tcp SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:"))
            }
        }
    }

    @Test("a request from the upstream to a host name is sent where DNS says; an unknown name gets 503")
    func hostNames() async throws {
        let callee = try await UDPPeer.bind("127.0.0.2")
        let locator = StubLocator(names: [
            "phones.example.test": [SIPServerTarget(transport: .udp, address: try IPAddress("127.0.0.2"), port: callee.port)]
        ])
        try await callee.channel.executeThenClose { calleeInbound, _ in
            try await withEdge(locator: locator) { _, listeners, upstream in
                let edgeAddress = try address(listeners, .udp)
                func options(_ host: String, branch: String) -> String {
                    sipText(
                        """
                        OPTIONS sip:alice@\(host) SIP/2.0
                        Via: SIP/2.0/UDP 127.0.0.1:\(upstream.endpoint.port);branch=z9hG4bK\(branch)
                        Max-Forwards: 70
                        From: <sip:proxy@\(Self.domain)>;tag=up1
                        To: <sip:alice@\(host)>
                        Call-ID: dns-\(branch)
                        CSeq: 1 OPTIONS
                        Content-Length: 0


                        """)
                }
                try await upstream.outbound.write(
                    AddressedEnvelope(remoteAddress: edgeAddress, data: ByteBuffer(string: options("phones.example.test", branch: "known"))))
                var delivered = calleeInbound.makeAsyncIterator()
                #expect(text(try await next(&delivered).data).hasPrefix("OPTIONS sip:alice@phones.example.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:"))
                try await upstream.outbound.write(
                    AddressedEnvelope(remoteAddress: edgeAddress, data: ByteBuffer(string: options("nowhere.example.test", branch: "unknown"))))
                var answers = upstream.inbound.makeAsyncIterator()
                let answer = text(try await next(&answers).data)
                #expect(answer.hasPrefix("SIP/2.0 503 Service Unavailable\r\n"), "\(answer)")
            }
        }
    }

    @Test("an edge that cannot reach the upstream's address family refuses to start (issue 9: never a silent drop)")
    func refusesUnreachableUpstream() async throws {
        let configuration = SIPEdgeConfiguration(
            listen: [try SIPEndpoint("udp:[::1]:0")], upstream: try SIPEndpoint("udp:127.0.0.1:5070"), keyring: Self.keyring)
        #expect(configuration.reachabilityProblems.map(\.key) == ["sip.listen"])
        let edge = SIPEdge(
            configuration: configuration, policy: LivePolicy(Self.policy),
            logger: Logger(label: "sipfence.test", factory: { _ in SwiftLogNoOpLogHandler() }),
            locator: StubLocator(names: [:]))
        let expected = SIPEdgeError.cannotReachUpstream(try #require(configuration.reachabilityProblems.first?.reason))
        await #expect(throws: expected) {
            try await withTimeout(10) { try await edge.run() }
        }
    }
}
