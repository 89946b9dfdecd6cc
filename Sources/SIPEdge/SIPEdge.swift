import AccessControl
#if canImport(Glibc)
import Glibc
#endif
public import Admission
public import Logging
public import NIOCore
public import NIOPosix
import SIPCore
public import ServiceLifecycle
import Synchronization

/// The SIP side of sipfence: UDP and TCP listeners, a link to the upstream proxy, and the
/// carrying out of every decision ``AdmissionPipeline`` makes.
///
/// Every message is handed to the pipeline with its source as the socket reports it and
/// the current ``LivePolicy`` snapshot; whatever the pipeline says to send is sent —
/// answers back to the source (over the same TCP connection for TCP), admitted requests
/// to the upstream, responses to the next hop their Via names.
///
/// Run it as a swift-service-lifecycle `Service`: it binds every listener, reports them
/// through `onListening`, serves until graceful shutdown (then stops accepting, closes
/// its sockets and returns), and can be reconfigured while running with ``reload(_:)``.
public final class SIPEdge: Service, Sendable {
    /// A socket the edge is listening on.
    public struct Listener: Hashable, Sendable {
        /// The endpoint as configured (port 0 for "any").
        public let endpoint: SIPEndpoint
        /// The address and port actually bound.
        public let bound: SIPEndpoint
    }

    let group: any EventLoopGroup
    let livePolicy: LivePolicy
    let logger: Logger
    let metrics = SIPEdgeMetrics()
    let refusals: RefusalLog
    let registry: Registry
    let onListening: @Sendable ([Listener]) async -> Void
    private let commands: AsyncStream<Command>
    private let commandSink: AsyncStream<Command>.Continuation

    enum Command: Sendable {
        case reload(SIPEdgeConfiguration, CheckedContinuation<Void, any Error>)
    }

    /// An edge for `configuration`.
    ///
    /// - Parameters:
    ///   - policy: where the current policy snapshot is read for every message.
    ///   - eventLoopGroup: the NIO event loops the sockets run on.
    ///   - onListening: called with every bound socket once they are all bound, and
    ///     again after a reload.
    public init(
        configuration: SIPEdgeConfiguration,
        policy: LivePolicy,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger,
        onListening: @escaping @Sendable ([Listener]) async -> Void = { _ in }
    ) {
        self.group = eventLoopGroup
        self.livePolicy = policy
        self.logger = logger
        self.refusals = RefusalLog(logger: logger)
        self.registry = Registry(configuration: configuration)
        self.onListening = onListening
        (self.commands, self.commandSink) = AsyncStream.makeStream(of: Command.self)
    }

    /// Messages handled so far, by verdict (for status lines).
    public var verdictCounts: [AdmissionVerdict: Int] {
        metrics.verdictCounts.withLock { $0 }
    }

    /// Open TCP connections, inbound and upstream.
    public var openConnections: Int { metrics.openConnectionCount }

    /// The sockets currently listening.
    public var listeners: [Listener] { registry.listeners }

    /// Serves until graceful shutdown or cancellation. The edge keeps no transaction
    /// state, so stopping means: stop reading, finish the message in hand, close sockets.
    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await self.serve()
        }
        commandSink.finish()
    }

    /// Applies a new configuration without dropping what did not change: listeners that
    /// are still configured keep their sockets, new ones are bound, removed ones closed;
    /// admission settings and the upstream take effect for the next message.
    public func reload(_ configuration: SIPEdgeConfiguration) async throws {
        try await withCheckedThrowingContinuation { continuation in
            if case .terminated = commandSink.yield(.reload(configuration, continuation)) {
                continuation.resume(throwing: SIPEdgeError.notRunning)
            }
        }
    }

    // MARK: Serving

    private func serve() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            let configuration = registry.configuration
            for endpoint in configuration.listen {
                try await bind(endpoint, in: &group)
            }
            try updatePipeline(for: configuration)
            group.addTask { await self.maintainUpstream() }
            await onListening(registry.listeners)

            for await command in commands {
                switch command {
                case .reload(let configuration, let continuation):
                    do {
                        try await apply(configuration, in: &group)
                        continuation.resume()
                        await onListening(registry.listeners)
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            }
        }
    }

    private func apply(_ configuration: SIPEdgeConfiguration, in group: inout ThrowingDiscardingTaskGroup<any Error>) async throws {
        let previous = registry.configuration
        // Bind what is new before closing what went away, so a failed bind changes nothing.
        let kept = Set(previous.listen).intersection(configuration.listen)
        var added: [SIPConnectionID] = []
        do {
            for endpoint in configuration.listen where !kept.contains(endpoint) {
                added.append(try await bind(endpoint, in: &group))
            }
        } catch {
            for id in added { registry.closeListener(id) }
            throw error
        }
        for endpoint in previous.listen where !kept.contains(endpoint) {
            registry.closeListeners(for: endpoint)
        }
        registry.configuration = configuration
        try updatePipeline(for: configuration)
        if previous.upstream != configuration.upstream {
            registry.dropUpstreamConnection()
        }
        logger.info("SIP configuration reloaded", metadata: ["listeners": "\(registry.listeners.count)"])
    }

    /// Derives the admission settings from the configuration and the bound sockets.
    private func updatePipeline(for configuration: SIPEdgeConfiguration) throws {
        var proxyAddresses: [SIPTransport: AdmissionSettings.ProxyAddress] = [:]
        for transport in [SIPTransport.udp, .tcp] {
            let candidates = registry.listeners.filter { $0.bound.transport == transport }
            let preferred =
                candidates.first { $0.bound.address.family == configuration.upstream.address.family } ?? candidates.first
            guard let preferred else { continue }
            let host = configuration.advertisedHost ?? advertisedHost(for: preferred.bound, towards: configuration.upstream)
            proxyAddresses[transport] = .init(host: host, port: preferred.bound.port)
        }
        guard !proxyAddresses.isEmpty else { throw SIPEdgeError.noListener }
        let settings = AdmissionSettings(
            upstream: configuration.upstream,
            proxyAddresses: proxyAddresses,
            unknownDomainStatus: configuration.unknownDomainStatus,
            checkedMethods: configuration.checkedMethods,
            secret: configuration.secret,
            digest: configuration.digest,
            rotation: configuration.rotation
        )
        registry.pipeline = AdmissionPipeline(settings: settings)
    }

    /// The host to write in the Via for a listener: its own address, or for a wildcard
    /// listener the local address the system would use to reach the upstream.
    private func advertisedHost(for bound: SIPEndpoint, towards upstream: SIPEndpoint) -> String {
        let unspecified = bound.address == IPAddress(ipv4: 0) || bound.address == IPAddress(ipv6: 0)
        guard unspecified, let local = Self.localAddress(towards: upstream) else { return bound.address.description }
        return local.description
    }

    // MARK: Handling messages

    /// Seconds since the Unix epoch: digest nonces carry wall-clock issue times, so that
    /// every node sharing the secret (and this one after a restart) can check their age.
    static func wallClockSeconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(max(0, now.tv_sec))
    }

    /// Runs one message through the pipeline and carries out the decision.
    func handle(_ bytes: [UInt8], from source: SIPSource, oversized: Bool = false) async {
        guard let pipeline = registry.pipeline else { return }
        let start = ContinuousClock.now
        let decision =
            oversized
            ? pipeline.decideOversized(bytes, from: source)
            : pipeline.decide(bytes, from: source, policy: livePolicy.policy, now: Self.wallClockSeconds())
        metrics.record(decision, transport: source.transport, duration: start.duration(to: .now))
        refusals.record(decision, source: source)
        if decision.verdict == .malformed {
            logger.debug(
                "malformed message",
                metadata: ["source": "\(source)", "reason": "\(decision.reason)", "answered": "\(decision.outbound != nil)"]
            )
        }
        if let outbound = decision.outbound {
            await send(outbound, replyingTo: source)
        }
    }

    /// Sends `outbound` where the pipeline said.
    func send(_ outbound: SIPOutbound, replyingTo source: SIPSource) async {
        let buffer = ByteBuffer(bytes: outbound.bytes)
        switch outbound.destination {
        case .upstream:
            await sendUpstream(buffer)
        case .connection(let id):
            guard let connection = registry.connection(id) else {
                metrics.sendFailed("connection_gone")
                return
            }
            await write(buffer, to: connection)
        case .address(let transport, let host, let port, let socket):
            guard let address = IPAddress(parsing: host), let socketAddress = try? SocketAddress(address, port: port) else {
                metrics.sendFailed("unresolved_destination")
                logger.debug("cannot send to a host name", metadata: ["host": "\(host)"])
                return
            }
            switch transport {
            case .udp:
                guard let listener = registry.datagramListener(preferring: socket, family: address.canonical.family) else {
                    metrics.sendFailed("no_udp_listener")
                    return
                }
                await send(buffer, to: socketAddress, over: listener)
            case .tcp:
                let upstream = registry.configuration.upstream
                if upstream.transport == .tcp, upstream.address.canonical == address.canonical, upstream.port == port {
                    await sendUpstream(buffer)
                } else if let connection = registry.connection(to: address, port: port) {
                    await write(buffer, to: connection)
                } else {
                    metrics.sendFailed("no_tcp_connection")
                }
            default:
                metrics.sendFailed("unsupported_transport")
            }
        }
    }

    private func sendUpstream(_ buffer: ByteBuffer) async {
        let upstream = registry.configuration.upstream
        switch upstream.transport {
        case .tcp:
            guard let connection = registry.upstreamConnection else {
                metrics.upstreamError("not_connected")
                return
            }
            await write(buffer, to: connection)
        default:
            guard let listener = registry.datagramListener(preferring: nil, family: upstream.address.canonical.family),
                let address = try? SocketAddress(upstream.address, port: upstream.port)
            else {
                metrics.upstreamError("no_udp_listener")
                return
            }
            await send(buffer, to: address, over: listener)
        }
    }

    private func send(_ buffer: ByteBuffer, to address: SocketAddress, over listener: Registry.DatagramListener) async {
        guard let writer = listener.writer else {
            metrics.sendFailed("udp_not_ready")
            return
        }
        do {
            try await writer.write(AddressedEnvelope(remoteAddress: address, data: buffer))
        } catch {
            metrics.sendFailed("udp_write")
        }
    }

    private func write(_ buffer: ByteBuffer, to connection: Registry.StreamConnection) async {
        do {
            try await connection.writer.write(buffer)
        } catch {
            metrics.sendFailed("tcp_write")
        }
    }
}

/// Why the SIP edge could not do what it was asked.
public enum SIPEdgeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No UDP or TCP listener is configured, so there is no address to put in a Via.
    case noListener
    /// A reload was requested while the edge was not running.
    case notRunning
    /// A socket could not be bound.
    case bindFailed(SIPEndpoint, String)

    public var description: String {
        switch self {
        case .noListener: "no SIP listener is configured"
        case .notRunning: "the SIP edge is not running"
        case .bindFailed(let endpoint, let reason): "cannot listen on \(endpoint): \(reason)"
        }
    }
}
