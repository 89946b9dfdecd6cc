import AccessControl
#if canImport(Glibc)
import Glibc
#endif
public import Admission
public import Logging
public import NIOCore
public import NIOPosix
import SIPCore
public import SIPLocation
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
        /// The side of sipfence it faces.
        public let side: SIPInterface.Side
    }

    let group: any EventLoopGroup
    let livePolicy: LivePolicy
    let logger: Logger
    let metrics = SIPEdgeMetrics()
    let refusals: RefusalLog
    let abuse: AbuseLog
    /// The per-source flood limits and bans (`sip.flood.*`); per node.
    public let flood: FloodGuard
    let registry: Registry
    let locator: (any SIPServerLocating)?
    let onListening: @Sendable ([Listener]) async -> Void
    private let commands: AsyncStream<Command>
    private let commandSink: AsyncStream<Command>.Continuation

    enum Command: Sendable {
        case reload(SIPEdgeConfiguration, CheckedContinuation<Void, any Error>)
        /// A message whose sending may take a while (a DNS lookup, a new TCP connection):
        /// sent from its own task, so the socket it came in on keeps being read.
        case deliver(Delivery)
    }

    /// A message to send away from the receiving task, and what to answer when it cannot be.
    struct Delivery: Sendable {
        let outbound: SIPOutbound
        let request: [UInt8]?
        let source: SIPSource
    }

    /// An edge for `configuration`.
    ///
    /// - Parameters:
    ///   - policy: where the current policy snapshot is read for every message.
    ///   - eventLoopGroup: the NIO event loops the sockets run on.
    ///   - locator: finds where a next hop named by host name is (RFC 3263); by default
    ///     c-ares with the system's resolvers. Without one, only IP addresses are reached.
    ///   - onListening: called with every bound socket once they are all bound, and
    ///     again after a reload.
    public init(
        configuration: SIPEdgeConfiguration,
        policy: LivePolicy,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger,
        locator: (any SIPServerLocating)? = nil,
        onListening: @escaping @Sendable ([Listener]) async -> Void = { _ in }
    ) {
        if let locator {
            self.locator = locator
        } else {
            do {
                self.locator = try CAresServerLocator()
            } catch {
                logger.warning("DNS is unavailable: next hops named by host name cannot be reached", metadata: ["error": "\(error)"])
                self.locator = nil
            }
        }
        self.group = eventLoopGroup
        self.livePolicy = policy
        self.logger = logger
        self.refusals = RefusalLog(logger: logger)
        self.abuse = AbuseLog(logger: logger)
        self.flood = FloodGuard(limits: configuration.flood)
        self.registry = Registry(configuration: configuration)
        self.onListening = onListening
        (self.commands, self.commandSink) = AsyncStream.makeStream(of: Command.self)
    }

    /// Messages handled so far, by verdict (for status lines).
    public var verdictCounts: [AdmissionVerdict: Int] {
        metrics.verdictCounts
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
            for socket in configuration.sockets {
                try await bind(socket.endpoint, side: socket.side, in: &group)
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
                case .deliver(let delivery):
                    // Its own task: it may look names up and open a connection, which it
                    // then serves until it closes.
                    group.addTask { await self.deliver(delivery, inBackground: true) }
                }
            }
        }
    }

    private func apply(_ configuration: SIPEdgeConfiguration, in group: inout ThrowingDiscardingTaskGroup<any Error>) async throws {
        let previous = registry.configuration
        // Bind what is new before closing what went away, so a failed bind changes nothing.
        func key(_ socket: (endpoint: SIPEndpoint, side: SIPInterface.Side)) -> String { "\(socket.side) \(socket.endpoint)" }
        let kept = Set(previous.sockets.map(key)).intersection(configuration.sockets.map(key))
        var added: [SIPConnectionID] = []
        do {
            for socket in configuration.sockets where !kept.contains(key(socket)) {
                added.append(try await bind(socket.endpoint, side: socket.side, in: &group))
            }
        } catch {
            for id in added { registry.closeListener(id) }
            throw error
        }
        for socket in previous.sockets where !kept.contains(key(socket)) {
            registry.closeListeners(for: socket.endpoint, side: socket.side)
        }
        registry.configuration = configuration
        flood.update(configuration.flood)
        try updatePipeline(for: configuration)
        if previous.upstream != configuration.upstream {
            registry.dropUpstreamConnection()
        }
        logger.info("SIP configuration reloaded", metadata: ["listeners": "\(registry.listeners.count)"])
    }

    /// Derives the admission settings from the configuration and the bound sockets.
    ///
    /// - Throws: ``SIPEdgeError/noListener`` without any socket, and
    ///   ``SIPEdgeError/cannotReachUpstream(_:)`` when no socket can send to the upstream.
    private func updatePipeline(for configuration: SIPEdgeConfiguration) throws {
        let separateSides = !configuration.upstreamListen.isEmpty
        let interfaces = registry.listeners.map { listener in
            let advertised = separateSides && !listener.side.facesCallers ? nil : configuration.advertisedHost
            return SIPInterface(
                endpoint: listener.bound,
                advertisedHost: advertised ?? advertisedHost(for: listener.bound, towards: configuration.upstream),
                side: listener.side)
        }
        guard !interfaces.isEmpty else { throw SIPEdgeError.noListener }
        let settings = AdmissionSettings(
            upstream: configuration.upstream,
            interfaces: interfaces,
            unknownDomainStatus: configuration.unknownDomainStatus,
            checkedMethods: configuration.checkedMethods,
            dialogTokenMaxAge: configuration.dialogTokenMaxAge,
            secret: configuration.secret,
            digest: configuration.digest,
            rotation: configuration.rotation
        )
        guard settings.upstreamInterface != nil else {
            throw SIPEdgeError.cannotReachUpstream(configuration.reachabilityProblems.first?.reason ?? "no socket reaches \(configuration.upstream)")
        }
        registry.pipeline = AdmissionPipeline(settings: settings)
    }

    /// The host to write in Via, Record-Route and Path for a listener: its own address
    /// (IPv4 as IPv4, never IPv4-mapped), or for a wildcard listener the local address the
    /// system would use to reach the upstream.
    private func advertisedHost(for bound: SIPEndpoint, towards upstream: SIPEndpoint) -> String {
        let unspecified = bound.address == IPAddress(ipv4: 0) || bound.address == IPAddress(ipv6: 0)
        guard unspecified, let local = Self.localAddress(towards: upstream) else { return bound.address.canonical.description }
        return local.canonical.description
    }

    // MARK: Handling messages

    /// Seconds since the Unix epoch, to the nanosecond: the wall clock, because digest
    /// nonces carry wall-clock issue times that every node sharing the secret (and this one
    /// after a restart) can check, and ban times are shown as dates.
    static func wallClockTime() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// Sends `delivery` from the calling task, or from a task of its own when it may wait
    /// on DNS or a new TCP connection, so that the caller's socket keeps being read.
    func send(_ delivery: Delivery) async {
        if needsBackgroundDelivery(delivery.outbound.destination) {
            enqueueBackgroundDelivery(delivery)
        } else {
            await deliver(delivery, inBackground: false)
        }
    }

    /// Everything about one message but sending: the flood screen, the pipeline's
    /// decision, metrics, logs and the flood bookkeeping of its outcome. Synchronous, so
    /// that the datagram path runs it on the event loop that read the datagram.
    ///
    /// - Returns: the flood limits' verdict, and what to send (`nil`: nothing).
    func admit(_ bytes: [UInt8], from source: SIPSource, oversized: Bool) -> (FloodVerdict, Delivery?) {
        guard let pipeline = registry.pipeline else { return (.pass, nil) }
        let policy = livePolicy.policy
        let now = Self.wallClockTime()
        let screened = pipeline.screen(source, policy: policy, limits: flood, at: now)
        guard screened == .pass else {
            metrics.floodDropped(screened, transport: source.transport)
            abuse.drop(screened, source: source)
            if case .bannedNow(let ban) = screened { announce(ban) }
            return (screened, nil)
        }
        let start = ContinuousClock.now
        let decision =
            oversized
            ? pipeline.decideOversized(bytes, from: source)
            : pipeline.decide(bytes, from: source, policy: policy, now: UInt64(max(0, now)))
        metrics.record(decision, transport: source.transport, duration: start.duration(to: .now))
        refusals.record(decision, source: source)
        if let ban = pipeline.recordOutcome(decision, from: source, policy: policy, limits: flood, at: now) {
            announce(ban)
        }
        if decision.verdict == .malformed {
            logger.debug(
                "malformed message",
                metadata: ["source": "\(source)", "reason": "\(decision.reason)", "answered": "\(decision.outbound != nil)"]
            )
        }
        guard let outbound = decision.outbound else { return (.pass, nil) }
        // A request sipfence forwards is answered with 503 when it cannot be sent.
        let forwarding = decision.kind == .request && decision.statusCode == nil
        return (.pass, Delivery(outbound: outbound, request: forwarding ? bytes : nil, source: source))
    }

    /// Hands `delivery` to a task of its own (it may look names up or open a connection).
    private func enqueueBackgroundDelivery(_ delivery: Delivery) {
        commandSink.yield(.deliver(delivery))
    }

    /// Counts and logs a new ban with its stable line (``FloodBan/logLine``), which the
    /// fail2ban filter in `config/` reads.
    func announce(_ ban: FloodBan) {
        metrics.banned(ban)
        logger.notice(
            "\(ban.logLine)",
            metadata: ["source": "\(ban.address)", "transport": "\(ban.transport.rawValue.lowercased())", "reason": "\(ban.reason)"])
    }

    /// Whether sending to `destination` may wait on DNS or on a new TCP connection.
    private func needsBackgroundDelivery(_ destination: SIPDestination) -> Bool {
        switch destination {
        case .upstream, .connection:
            return false
        case .address(let transport, let host, let port, _):
            guard let address = IPAddress(parsing: host) else { return true }
            return transport == .tcp && registry.connection(to: address, port: port) == nil
        case .flow(let flow, _):
            return flow.transport == .tcp && registry.connection(peer: flow.remoteAddress, port: flow.remotePort) == nil
        case .nextHop(let hop):
            guard let address = IPAddress(parsing: hop.host) else { return true }
            return hop.transport == .tcp && registry.connection(peer: address, port: hop.port ?? hop.transport.defaultPort) == nil
        }
    }

    /// Sends a delivery, answering a forwarded request that cannot be sent with 503. Not
    /// `inBackground`, a delivery that needs a new connection is handed to its own task.
    func deliver(_ delivery: Delivery, inBackground: Bool) async {
        do {
            try await send(delivery.outbound, replyingTo: delivery.source, inBackground: inBackground)
        } catch .needsBackground {
            enqueueBackgroundDelivery(delivery)
        } catch {
            if let answer = failed(delivery, because: error) {
                try? await send(answer.outbound, replyingTo: answer.source, inBackground: false)
            }
        }
    }

    /// Counts a delivery that could not be sent and, for a forwarded request, returns the
    /// 503 that answers it (RFC 3261 §16.9), to be sent back to its source.
    func failed(_ delivery: Delivery, because error: SendFailure) -> Delivery? {
        metrics.sendFailed(error.reason)
        guard let request = delivery.request, let pipeline = registry.pipeline else { return nil }
        logger.warning(
            "cannot send an admitted request on; answering 503",
            metadata: ["source": "\(delivery.source)", "destination": "\(delivery.outbound.destination)", "reason": "\(error)"])
        // Counted once, as the message it answers was, and in sipfence_send_failures_total.
        let answer = pipeline.serviceUnavailable(request, from: delivery.source, reason: error.reason)
        return answer.outbound.map { Delivery(outbound: $0, request: nil, source: delivery.source) }
    }

    /// Where a delivery goes when it can be sent at once over UDP: to an IP address (no
    /// DNS) from an open UDP socket. Every answer to a UDP caller, every forward to a UDP
    /// upstream and every response relayed to a UDP next hop takes this path; `nil` sends
    /// the delivery down the asynchronous path (TCP, DNS).
    func datagramRoute(for destination: SIPDestination) -> (listener: Registry.DatagramListener, address: SocketAddress)? {
        switch destination {
        case .upstream:
            let upstream = registry.configuration.upstream
            guard upstream.transport == .udp, let interface = registry.pipeline?.settings.upstreamInterface,
                let listener = registry.datagramListener(bound: interface.endpoint),
                let address = try? SocketAddress(upstream.address, port: upstream.port)
            else { return nil }
            return (listener, address)
        case .address(let transport, let host, let port, let socket):
            guard transport == .udp, let ip = IPAddress(parsing: host)?.canonical,
                let listener = registry.datagramListener(preferring: socket, family: ip.family),
                let address = try? SocketAddress(ip, port: port)
            else { return nil }
            return (listener, address)
        case .flow(let flow, _):
            guard flow.transport == .udp, let listener = registry.datagramListener(bound: flow.local),
                let address = try? SocketAddress(flow.remoteAddress, port: flow.remotePort)
            else { return nil }
            return (listener, address)
        case .nextHop(let hop):
            guard hop.transport == .udp, let ip = IPAddress(parsing: hop.host)?.canonical, ip.family == hop.family,
                let interface = registry.pipeline?.settings.callerInterface(.udp, family: hop.family),
                let listener = registry.datagramListener(bound: interface.endpoint),
                let address = try? SocketAddress(ip, port: hop.port ?? SIPTransport.udp.defaultPort)
            else { return nil }
            return (listener, address)
        case .connection:
            return nil
        }
    }

    /// Sends `outbound` where the pipeline said.
    ///
    /// - Throws: ``SendFailure`` when it cannot be sent.
    func send(_ outbound: SIPOutbound, replyingTo source: SIPSource, inBackground: Bool) async throws(SendFailure) {
        let buffer = ByteBuffer(bytes: outbound.bytes)
        switch outbound.destination {
        case .upstream:
            try await sendUpstream(buffer)
        case .connection(let id):
            guard let connection = registry.connection(id) else { throw .connectionGone }
            try await write(buffer, to: connection)
        case .address(let transport, let host, let port, let socket):
            let addresses = try await resolve(host, port: port, transport: transport)
            switch transport {
            case .udp:
                guard let address = addresses.first,
                    let listener = registry.datagramListener(preferring: socket, family: address.family),
                    let socketAddress = try? SocketAddress(address, port: port)
                else { throw .noSocket }
                try await send(buffer, to: socketAddress, over: listener)
            case .tcp:
                let upstream = registry.configuration.upstream
                if upstream.transport == .tcp, addresses.contains(upstream.address.canonical), upstream.port == port {
                    try await sendUpstream(buffer)
                } else if let connection = addresses.lazy.compactMap({ self.registry.connection(to: $0, port: port) }).first {
                    try await write(buffer, to: connection)
                } else {
                    throw .connectionGone
                }
            default:
                throw .unsupportedTransport
            }
        case .flow(let flow, let otherwise):
            switch flow.transport {
            case .udp:
                guard let listener = registry.datagramListener(bound: flow.local),
                    let address = try? SocketAddress(flow.remoteAddress, port: flow.remotePort)
                else { throw .noSocket }
                try await send(buffer, to: address, over: listener)
            case .tcp:
                if let connection = registry.connection(peer: flow.remoteAddress, port: flow.remotePort) {
                    try await write(buffer, to: connection)
                } else if let otherwise {
                    try await send(buffer, toNextHop: otherwise, inBackground: inBackground)
                } else {
                    throw .connectionGone
                }
            default:
                throw .unsupportedTransport
            }
        case .nextHop(let hop):
            try await send(buffer, toNextHop: hop, inBackground: inBackground)
        }
    }

    /// Sends to a next hop named by URI: its targets (RFC 3263 §4) of the Via's family, in
    /// order, over UDP from a socket facing callers, over TCP through an open connection or
    /// a new one (RFC 3261 §18.1.1), moving to the next target when one cannot be reached.
    private func send(_ buffer: ByteBuffer, toNextHop hop: SIPNextHop, inBackground: Bool) async throws(SendFailure) {
        guard let pipeline = registry.pipeline,
            let interface = pipeline.settings.callerInterface(hop.transport, family: hop.family)
        else { throw .noSocket }
        let targets = try await locate(hop.host, port: hop.port, transport: hop.transport).filter {
            $0.address.family == hop.family && $0.transport == hop.transport
        }
        guard !targets.isEmpty else { throw .unresolved }
        var failure = SendFailure.unresolved
        for target in targets {
            guard let socketAddress = try? SocketAddress(target.address, port: target.port) else { continue }
            do throws(SendFailure) {
                switch hop.transport {
                case .udp:
                    guard let listener = registry.datagramListener(bound: interface.endpoint) else { throw .noSocket }
                    try await send(buffer, to: socketAddress, over: listener)
                case .tcp:
                    if let connection = registry.connection(peer: target.address, port: target.port) {
                        try await write(buffer, to: connection)
                    } else {
                        // Opening a connection and serving it is the work of a task of its own.
                        guard inBackground else { throw .needsBackground }
                        try await connect(to: socketAddress, interface: interface.endpoint, sending: buffer)
                    }
                default:
                    throw .unsupportedTransport
                }
                return
            } catch .needsBackground {
                throw .needsBackground
            } catch {
                failure = error
            }
        }
        throw failure
    }

    /// Where a host is (RFC 3263 §4): itself when it is an IP address, else what DNS says.
    private func locate(_ host: String, port: Int?, transport: SIPTransport) async throws(SendFailure) -> [SIPServerTarget] {
        if let address = IPAddress(parsing: host) {
            return [SIPServerTarget(transport: transport, address: address.canonical, port: port ?? transport.defaultPort)]
        }
        guard let locator else { throw .unresolved }
        do {
            return try await locator.locate(host: host, port: port, transport: transport, secure: false)
        } catch {
            logger.info("cannot locate a next hop", metadata: ["host": "\(host)", "error": "\(error)"])
            throw .unresolved
        }
    }

    /// The addresses of `host` for a response to its Via (RFC 3263 §5): itself when it is an
    /// IP address, else its A/AAAA records at `port`.
    private func resolve(_ host: String, port: Int, transport: SIPTransport) async throws(SendFailure) -> [IPAddress] {
        try await locate(host, port: port, transport: transport).map(\.address)
    }

    private func sendUpstream(_ buffer: ByteBuffer) async throws(SendFailure) {
        let upstream = registry.configuration.upstream
        switch upstream.transport {
        case .tcp:
            guard let connection = registry.upstreamConnection else {
                metrics.upstreamError("not_connected")
                throw .upstreamNotConnected
            }
            try await write(buffer, to: connection)
        default:
            guard let interface = registry.pipeline?.settings.upstreamInterface,
                let listener = registry.datagramListener(bound: interface.endpoint),
                let address = try? SocketAddress(upstream.address, port: upstream.port)
            else {
                metrics.upstreamError("no_udp_listener")
                throw .noSocket
            }
            try await send(buffer, to: address, over: listener)
        }
    }

    private func send(_ buffer: ByteBuffer, to address: SocketAddress, over listener: Registry.DatagramListener) async throws(SendFailure) {
        do {
            try await listener.channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: buffer)).get()
        } catch {
            throw .writeFailed
        }
    }

    private func write(_ buffer: ByteBuffer, to connection: Registry.StreamConnection) async throws(SendFailure) {
        do {
            try await connection.writer.write(buffer)
        } catch {
            throw .writeFailed
        }
    }
}

/// Why a message could not be sent; ``reason`` is its metric label.
enum SendFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// No open socket of the right transport, family and side.
    case noSocket
    /// The TCP connection the message belongs to is closed.
    case connectionGone
    /// The upstream is TCP and not connected.
    case upstreamNotConnected
    /// The next hop's name did not resolve to an address of the right family.
    case unresolved
    /// A connection to the next hop could not be opened.
    case connectFailed
    /// The connection limit is reached, so no new connection is opened.
    case tooManyConnections
    /// The transport is not one sipfence sends over (TLS).
    case unsupportedTransport
    /// The socket refused the write.
    case writeFailed
    /// Sending needs a new connection, which only a delivery task of its own opens.
    case needsBackground

    var reason: String {
        switch self {
        case .noSocket: "no_socket"
        case .connectionGone: "connection_gone"
        case .upstreamNotConnected: "upstream_not_connected"
        case .unresolved: "unresolved_destination"
        case .connectFailed: "connect_failed"
        case .tooManyConnections: "too_many_connections"
        case .unsupportedTransport: "unsupported_transport"
        case .writeFailed: "write_failed"
        case .needsBackground: "needs_background"
        }
    }

    var description: String { reason.replacingOccurrences(of: "_", with: " ") }
}

/// Why the SIP edge could not do what it was asked.
public enum SIPEdgeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No UDP or TCP listener is configured, so there is no address to put in a Via.
    case noListener
    /// A reload was requested while the edge was not running.
    case notRunning
    /// A socket could not be bound.
    case bindFailed(SIPEndpoint, String)
    /// No socket can send to the upstream (see `SIPEdgeConfiguration.reachabilityProblems`).
    case cannotReachUpstream(String)

    public var description: String {
        switch self {
        case .noListener: "no SIP listener is configured"
        case .notRunning: "the SIP edge is not running"
        case .bindFailed(let endpoint, let reason): "cannot listen on \(endpoint): \(reason)"
        case .cannotReachUpstream(let reason): reason
        }
    }
}
