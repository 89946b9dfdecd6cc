import Foundation
import Synchronization
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The three network namespaces of a deployment test and the two veth links between them:
///
/// ```
///   caller                 edge                              upstream
///   10.200.1.2  ──veth──  10.200.1.1    |  10.200.2.1  ──veth──  10.200.2.2
///   fd20:200:1::2         fd20:200:1::1 |  fd20:200:2::1         fd20:200:2::2
///              (outside interface)        (inside interface)
/// ```
///
/// The edge runs the SIP element under test (sipfence; Kamailio in the control test) and
/// forwards no packets, and the caller and the upstream have no route beyond their own
/// link: a request that reaches the other side was relayed by the edge's SIP process, and
/// a UA that sent an in-dialog request straight to its peer's Contact would get "network
/// unreachable". That is what makes the deployment tests a proof of routing.
///
/// Names are unique per run and per topology (`sfnet-PID-N-caller`, interfaces
/// `sfPID-NX`, at most 15 characters). Use ``with(in:_:)``: it removes what crashed runs
/// left, builds the topology, and — however the body ends (returned, thrown, cancelled) —
/// kills every process still in the namespaces and deletes them.
struct NetworkTopology: Sendable {
    let caller: NetworkNamespace
    let edge: NetworkNamespace
    let upstream: NetworkNamespace
    /// The caller's end of the outside link (in `caller`).
    let callerInterface: String
    /// The edge's end of the outside link: the addresses sipfence listens on for callers.
    let outsideInterface: String
    /// The edge's end of the inside link: the addresses facing the upstream proxy.
    let insideInterface: String
    /// The upstream's end of the inside link (in `upstream`).
    let upstreamInterface: String

    static let callerIPv4 = "10.200.1.2"
    static let callerIPv6 = "fd20:200:1::2"
    static let outsideIPv4 = "10.200.1.1"
    static let outsideIPv6 = "fd20:200:1::1"
    static let insideIPv4 = "10.200.2.1"
    static let insideIPv6 = "fd20:200:2::1"
    static let upstreamIPv4 = "10.200.2.2"
    static let upstreamIPv6 = "fd20:200:2::2"

    /// What every namespace name of these tests starts with.
    static let namePrefix = "sfnet-"

    var namespaces: [NetworkNamespace] { [caller, edge, upstream] }

    /// Namespaces this process has created and not yet deleted.
    private static let live = Mutex<Set<String>>([])
    /// Numbers the topologies of this process.
    private static let counter = Mutex(0)

    private init(number: Int) {
        let pid = getpid()
        func namespace(_ role: String) -> NetworkNamespace { NetworkNamespace(name: "\(Self.namePrefix)\(pid)-\(number)-\(role)") }
        caller = namespace("caller")
        edge = namespace("edge")
        upstream = namespace("upstream")
        callerInterface = "sf\(pid)-\(number)c"
        outsideInterface = "sf\(pid)-\(number)o"
        insideInterface = "sf\(pid)-\(number)i"
        upstreamInterface = "sf\(pid)-\(number)u"
    }

    /// Builds a fresh topology (files go to `directory`), runs `body`, and tears the
    /// topology down however `body` ends.
    static func with<Result>(in directory: URL, _ body: (NetworkTopology) async throws -> Result) async throws -> Result {
        await removeLeftovers()
        let number = counter.withLock { value in
            defer { value = (value + 1) % 100 }
            return value
        }
        let topology = NetworkTopology(number: number)
        live.withLock { $0.formUnion(topology.namespaces.map(\.name)) }
        do {
            try await topology.create(in: directory)
            let result = try await body(topology)
            await topology.destroyUncancelled()
            return result
        } catch {
            await topology.destroyUncancelled()
            throw error
        }
    }

    /// Creates the namespaces, links and addresses.
    private func create(in directory: URL) async throws {
        try await batch(
            nil,
            [
                "netns add \(caller)", "netns add \(edge)", "netns add \(upstream)",
                "link add \(callerInterface) netns \(caller) type veth peer name \(outsideInterface) netns \(edge)",
                "link add \(upstreamInterface) netns \(upstream) type veth peer name \(insideInterface) netns \(edge)",
            ], in: directory)
        try await batch(caller, Self.addressing(callerInterface, Self.callerIPv4, Self.callerIPv6), in: directory)
        try await batch(
            edge,
            Self.addressing(outsideInterface, Self.outsideIPv4, Self.outsideIPv6)
                + Self.addressing(insideInterface, Self.insideIPv4, Self.insideIPv6), in: directory)
        try await batch(upstream, Self.addressing(upstreamInterface, Self.upstreamIPv4, Self.upstreamIPv6), in: directory)
        try await edge.execute("/usr/sbin/sysctl", ["-qw", "net.ipv4.ip_forward=0", "net.ipv6.conf.all.forwarding=0"])
    }

    /// `ip` batch lines that bring up `lo`, give `interface` its two addresses (no
    /// duplicate address detection, so IPv6 works at once) and bring it up.
    private static func addressing(_ interface: String, _ ipv4: String, _ ipv6: String) -> [String] {
        [
            "link set lo up",
            "addr add \(ipv4)/24 dev \(interface)",
            "addr add \(ipv6)/64 dev \(interface) nodad",
            "link set \(interface) up",
        ]
    }

    /// Runs `lines` with `ip -batch`, in `namespace` (`ip -n`) or in the host's.
    private func batch(_ namespace: NetworkNamespace?, _ lines: [String], in directory: URL) async throws {
        let file = directory.appendingPathComponent("ip-\(namespace?.name ?? "host").batch")
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        let selector = namespace.map { ["-n", $0.name] } ?? []
        try await NetworkNamespace.execute(NetworkNamespace.ip, selector + ["-batch", file.path])
    }

    /// The interface index of the edge's `interface` (what a capture on `any` records).
    func edgeInterfaceIndex(_ interface: String) async throws -> Int {
        struct Link: Decodable { let ifindex: Int }
        let output = try await NetworkNamespace.execute(NetworkNamespace.ip, ["-n", edge.name, "-j", "link", "show", "dev", interface])
        guard let link = try JSONDecoder().decode([Link].self, from: Data(output.utf8)).first else {
            throw HarnessError.failed("no interface \(interface) in \(edge)")
        }
        return link.ifindex
    }

    /// Whether `namespace` has a route to `address` (`ip route get`).
    func hasRoute(from namespace: NetworkNamespace, to address: String) async throws -> Bool {
        let (status, _, _) = try await NetworkNamespace.status(of: NetworkNamespace.ip, ["-n", namespace.name, "route", "get", address])
        return status == 0
    }

    /// ``destroy()``, in a task that the caller's cancellation does not reach (its waits
    /// would otherwise end at once).
    private func destroyUncancelled() async {
        let topology = self
        await Task.detached { await topology.destroy() }.value
    }

    /// Kills every process in the namespaces (SIGTERM, SIGKILL after 2 s) and deletes them.
    func destroy() async {
        await Self.destroy(namespaces)
        Self.live.withLock { $0.subtract(namespaces.map(\.name)) }
    }

    private static func destroy(_ namespaces: [NetworkNamespace]) async {
        for signal in [SIGTERM, SIGKILL] {
            var remaining = await processes(in: namespaces)
            guard !remaining.isEmpty else { break }
            for pid in remaining { kill(pid, signal) }
            let deadline = ContinuousClock.now + .seconds(2)
            while !remaining.isEmpty && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(50))
                remaining = await processes(in: namespaces)
            }
        }
        for namespace in namespaces {
            _ = try? await NetworkNamespace.status(of: NetworkNamespace.ip, ["netns", "delete", namespace.name])
        }
    }

    private static func processes(in namespaces: [NetworkNamespace]) async -> [pid_t] {
        var pids: [pid_t] = []
        for namespace in namespaces { pids += await namespace.processIdentifiers() }
        return pids
    }

    /// Deletes the namespaces of earlier runs that did not clean up (crashed, killed): those
    /// whose test process is gone, and those of this pid that this process did not make.
    static func removeLeftovers() async {
        guard let (_, output, _) = try? await NetworkNamespace.status(of: NetworkNamespace.ip, ["netns", "list"]) else { return }
        let own = getpid()
        let current = live.withLock { $0 }
        let leftovers = output.split(separator: "\n").compactMap { line -> NetworkNamespace? in
            guard let name = line.split(separator: " ").first.map(String.init), name.hasPrefix(namePrefix),
                let pid = pid_t(name.dropFirst(namePrefix.count).prefix { $0 != "-" })
            else { return nil }
            let alive = kill(pid, 0) == 0 || errno != ESRCH
            let stale = pid == own ? !current.contains(name) : !alive
            return stale ? NetworkNamespace(name: name) : nil
        }
        if !leftovers.isEmpty { await destroy(leftovers) }
    }
}
