import AccessControl
import Admission
import Logging
import NIOCore
import NIOPosix
import SIPCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension SIPEdge {
    typealias StreamChannel = NIOAsyncChannel<Delivery, ByteBuffer>

    /// Binds `endpoint`, facing `side`, and starts serving it in `group`.
    @discardableResult
    func bind(
        _ endpoint: SIPEndpoint, side: SIPInterface.Side, in group: inout ThrowingDiscardingTaskGroup<any Error>
    ) async throws -> SIPConnectionID {
        let configuration = registry.configuration
        let id = registry.makeID()
        do {
            switch endpoint.transport {
            case .udp:
                let datagramsPerRead = max(1, configuration.datagramsPerRead)
                let capacity = datagramCapacity(configuration)
                // Bounded like a socket buffer: past it (a flood towards a slow TCP upstream)
                // new sends are dropped and counted, and the senders retransmit.
                let (deliveries, deliverySink) = AsyncStream.makeStream(
                    of: Delivery.self, bufferingPolicy: .bufferingOldest(Self.pendingDeliveriesPerSocket))
                let channel = try await DatagramBootstrap(group: self.group)
                    .channelOption(.socketOption(.so_reuseaddr), value: 1)
                    .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
                    .channelOption(.datagramVectorReadMessageCount, value: datagramsPerRead)
                    // NIO truncates datagrams silently to their share of this buffer.
                    .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: datagramsPerRead * capacity))
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(
                                SIPDatagramHandler(edge: self, id: id, endpoint: endpoint, capacity: capacity, deliveries: deliverySink))
                        }
                    }
                    .bind(host: endpoint.address.description, port: endpoint.port)
                    .get()
                let bound = boundEndpoint(channel, transport: .udp) ?? endpoint
                registry.add(Registry.DatagramListener(id: id, endpoint: endpoint, bound: bound, side: side, channel: channel))
                group.addTask { await self.serveDatagrams(channel, id: id, deliveries: deliveries) }
            case .tcp:
                let server = try await ServerBootstrap(group: self.group)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .serverChannelOption(.backlog, value: 256)
                    .bind(host: endpoint.address.description, port: endpoint.port) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            // The limits in force when the connection is accepted: a reload
                            // applies them to new connections on sockets it kept.
                            try self.configureStream(channel, self.registry.configuration, accepted: true)
                        }
                    }
                let bound = boundEndpoint(server.channel, transport: .tcp) ?? endpoint
                registry.add(Registry.StreamListener(id: id, endpoint: endpoint, bound: bound, side: side, channel: server.channel))
                group.addTask { await self.serveConnections(server, id: id, bound: bound) }
            default:
                throw SIPEdgeError.bindFailed(endpoint, "transport not supported")
            }
        } catch let error as SIPEdgeError {
            throw error
        } catch {
            throw SIPEdgeError.bindFailed(endpoint, "\(error)")
        }
        return id
    }

    /// Sends one UDP socket may have waiting for its delivery task (TCP, DNS).
    static let pendingDeliveriesPerSocket = 4096

    /// The receive space for one datagram: one byte more than the largest message, so a
    /// datagram that fills it is known to be too large (NIO does not report truncation).
    private func datagramCapacity(_ configuration: SIPEdgeConfiguration) -> Int {
        min(configuration.maxMessageBytes + 1, 65_536)
    }

    /// The handlers of a SIP stream: idle timeout, framing with the header bound, and the
    /// message deadlines — the first-message one only on connections sipfence `accepted`.
    func configureStream(_ channel: any Channel, _ configuration: SIPEdgeConfiguration, accepted: Bool) throws -> StreamChannel {
        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: TimeAmount(configuration.tcpIdleTimeout)))
        try channel.pipeline.syncOperations.addHandler(IdleConnectionCloser())
        try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(
                SIPStreamDecoder(maximumMessageSize: configuration.maxMessageBytes, maximumHeaderSize: configuration.maxHeaderBytes))
        )
        let metrics = self.metrics
        let abuse = self.abuse
        try channel.pipeline.syncOperations.addHandler(
            StreamDeadlineHandler(
                firstMessage: accepted ? TimeAmount(configuration.tcpFirstMessageTimeout) : nil,
                message: TimeAmount(configuration.tcpMessageTimeout),
                onExpiry: { expiry, peer in
                    metrics.connectionClosed(because: expiry.rawValue)
                    abuse.connection(expiry.rawValue, peer: peer.map { "\($0)" } ?? "-")
                })
        )
        try channel.pipeline.syncOperations.addHandler(SIPStreamHandler(edge: self))
        return try StreamChannel(wrappingChannelSynchronously: channel)
    }

    private func boundEndpoint(_ channel: any Channel, transport: SIPTransport) -> SIPEndpoint? {
        guard let local = channel.localAddress, let address = local.ipAddress, let port = local.port else { return nil }
        return SIPEndpoint(transport: transport, address: address, port: port)
    }

    // MARK: UDP

    /// Serves the sends of a UDP socket that cannot be done on its event loop (TCP, DNS),
    /// in the order its datagrams came, until the socket closes; closes it when cancelled.
    /// The datagrams themselves are served by its ``SIPDatagramHandler``.
    private func serveDatagrams(_ channel: any Channel, id: SIPConnectionID, deliveries: AsyncStream<Delivery>) async {
        await withTaskCancellationHandler {
            for await delivery in deliveries {
                await send(delivery)
            }
        } onCancel: {
            channel.close(promise: nil)
        }
        registry.removeListener(id)
    }

    // MARK: TCP

    private func serveConnections(_ server: NIOAsyncChannel<StreamChannel, Never>, id: SIPConnectionID, bound: SIPEndpoint) async {
        do {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        switch slot(forAccepting: connection.channel.remoteAddress) {
                        case .success(let slot):
                            group.addTask { await self.serve(connection, upstream: nil, interface: bound, slot: slot) }
                        case .failure(let refusal):
                            metrics.connectionRefused(refusal.reason)
                            abuse.connection(refusal.reason, peer: connection.channel.remoteAddress.map { "\($0)" } ?? "-")
                            // Closed through the async channel, which must finish its writer.
                            try? await connection.executeThenClose { _, _ in }
                        }
                    }
                }
            }
        } catch where !Task.isCancelled {
            logger.error("TCP listener failed", metadata: ["error": "\(error)"])
        } catch {}
        registry.removeListener(id)
    }

    /// Why an accepted connection gets no slot.
    enum AcceptRefusal: Error {
        /// The source is banned by the flood limits.
        case banned
        /// A limit of ``Registry/SlotRefusal``.
        case limit(Registry.SlotRefusal)
        /// The socket has no IP peer address.
        case noPeer

        /// The metric label.
        var reason: String {
            switch self {
            case .banned: "banned"
            case .limit(let refusal): refusal.rawValue
            case .noPeer: "no_peer_address"
            }
        }
    }

    /// The slot an accepted connection from `remote` takes, or why it gets none: banned
    /// sources first, then the connection limits, with the upstream never refused.
    func slot(forAccepting remote: SocketAddress?) -> Result<Registry.StreamSlot, AcceptRefusal> {
        guard let peer = remote?.ipAddress else { return .failure(.noPeer) }
        let configuration = registry.configuration
        let slot: Registry.StreamSlot
        if peer.canonical == configuration.upstream.address.canonical {
            slot = .upstream
        } else {
            guard !flood.isBanned(peer, at: Self.wallClockTime()) else { return .failure(.banned) }
            let known = livePolicy.policy.knownSourceMatch(peer) != nil
            slot = .inbound(source: configuration.flood.sourceKey(for: peer), known: known)
        }
        if let refusal = registry.reserve(slot) { return .failure(.limit(refusal)) }
        return .success(slot)
    }

    /// Serves one stream connection — inbound, to the upstream (`upstream` set), or
    /// opened to a caller — until it closes, then gives back its `slot`: every message in
    /// it goes through the pipeline with the connection as its flow and `interface` (the
    /// listener it belongs to) as the socket it arrived on. `first` is written as soon as
    /// the connection is registered. A connection whose source gets banned is closed.
    ///
    /// Once the connection is registered, its ``SIPStreamHandler`` decides each message on
    /// the event loop and answers what goes back on the connection itself; this task sends
    /// the rest.
    func serve(
        _ connection: StreamChannel, upstream: SIPEndpoint?, interface: SIPEndpoint?, slot: Registry.StreamSlot, first: ByteBuffer? = nil
    ) async {
        defer { registry.release(slot) }
        guard let remote = connection.channel.remoteAddress, let peer = remote.ipAddress, let peerPort = remote.port else {
            try? await connection.executeThenClose { _, _ in }
            return
        }
        let id = registry.makeID()
        // Messages from the upstream connection come from the upstream as configured.
        let source = SIPSource(
            transport: .tcp,
            address: upstream?.address ?? peer,
            port: upstream?.port ?? peerPort,
            connection: id,
            interface: interface
        )
        metrics.connectionOpened()
        defer {
            registry.removeConnection(id)
            metrics.connectionClosed()
        }
        do {
            try await connection.executeThenClose { inbound, outbound in
                registry.add(
                    Registry.StreamConnection(
                        id: id, peer: peer, port: peerPort, isUpstream: upstream != nil, channel: connection.channel, writer: outbound
                    )
                )
                if let first { try await outbound.write(first) }
                // The pipeline decides and answers each message itself (SIPStreamHandler),
                // from here on; this task sends what may wait.
                connection.channel.pipeline.fireUserInboundEventTriggered(SIPStreamHandler.Start(source: source))
                for try await delivery in inbound {
                    await send(delivery)
                }
            }
        } catch where !Task.isCancelled {
            logger.debug("TCP connection ended", metadata: ["peer": "\(source)", "error": "\(error)"])
        } catch {}
    }

    /// Opens a TCP connection to a caller-side next hop (RFC 3261 §18.1.1), writes
    /// `buffer` on it, and serves it until it closes, as if the peer had connected to the
    /// listener `interface`. Counted against `sip.max_tcp_connections`.
    ///
    /// - Throws: ``SendFailure/tooManyConnections`` at the limit,
    ///   ``SendFailure/connectFailed`` when the connection cannot be opened.
    func connect(to address: SocketAddress, interface: SIPEndpoint, sending buffer: ByteBuffer) async throws(SendFailure) {
        let configuration = registry.configuration
        guard registry.reserve(.outbound) == nil else { throw .tooManyConnections }
        let connection: StreamChannel
        do {
            connection = try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(5))
                .connect(to: address) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try self.configureStream(channel, configuration, accepted: false)
                    }
                }
        } catch {
            registry.release(.outbound)
            logger.info("cannot connect to a next hop", metadata: ["address": "\(address)", "error": "\(error)"])
            throw .connectFailed
        }
        await serve(connection, upstream: nil, interface: interface, slot: .outbound, first: buffer)
    }

    // MARK: Upstream

    /// Keeps a TCP connection to the upstream open while the upstream is TCP,
    /// reconnecting with exponential back-off (0.1 s doubling to 5 s).
    func maintainUpstream() async {
        var backoff = Duration.milliseconds(100)
        while !Task.isCancelled {
            let upstream = registry.configuration.upstream
            guard upstream.transport == .tcp else {
                // Nothing to keep open; look again after a possible reload.
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            let configuration = registry.configuration
            do {
                let connection = try await ClientBootstrap(group: group)
                    .connectTimeout(.seconds(5))
                    .connect(host: upstream.address.description, port: upstream.port) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try self.configureStream(channel, configuration, accepted: false)
                        }
                    }
                backoff = .milliseconds(100)
                logger.info("connected to upstream", metadata: ["upstream": "\(upstream)"])
                _ = registry.reserve(.upstream)
                await serve(connection, upstream: upstream, interface: nil, slot: .upstream)
                if !Task.isCancelled {
                    metrics.upstreamError("connection_closed")
                    logger.warning("upstream connection closed", metadata: ["upstream": "\(upstream)"])
                }
            } catch {
                metrics.upstreamError("connect_failed")
                logger.warning("cannot connect to upstream", metadata: ["upstream": "\(upstream)", "error": "\(error)"])
            }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(5))
        }
    }

    /// The local address the system would use to reach `endpoint` (a connected UDP
    /// socket's name; nothing is sent).
    static func localAddress(towards endpoint: SIPEndpoint) -> IPAddress? {
        guard let remote = try? SocketAddress(endpoint.address, port: max(endpoint.port, 1)) else { return nil }
        let family = remote.protocol.rawValue
        #if canImport(Glibc)
        let descriptor = socket(family, Int32(SOCK_DGRAM.rawValue), 0)
        #else
        let descriptor = socket(family, SOCK_DGRAM, 0)
        #endif
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        let connected = remote.withSockAddr { address, length in Glibc.connect(descriptor, address, socklen_t(length)) }
        guard connected == 0 else { return nil }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafeBytes(of: storage) { raw in
                let address = raw.load(as: sockaddr_in.self)
                return IPAddress(ipv4: UInt32(bigEndian: address.sin_addr.s_addr))
            }
        case AF_INET6:
            return withUnsafeBytes(of: storage) { raw in
                let address = raw.load(as: sockaddr_in6.self)
                return withUnsafeBytes(of: address.sin6_addr) { IPAddress(networkBytes: $0) }
            }
        default:
            return nil
        }
    }
}
