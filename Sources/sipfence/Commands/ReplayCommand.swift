import AccessControl
import Admission
import ArgumentParser
import Capture
import Foundation
import Logging
import PolicyStore
import SIPCore

/// `sipfence replay`: what a policy does to recorded traffic, decided by the daemon's own
/// admission pipeline.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Run the SIP messages of pcap/pcapng captures through the admission pipeline.",
        discussion: """
            Every SIP message (UDP datagrams, and TCP streams framed as the daemon frames them) \
            is decided as the daemon would decide it, with the packet's source address as the \
            source. Prints one line per INVITE — time, transport, source, destination, Call-ID, \
            domain, verdict, reason, and the list and prefix that admitted it — then a summary. \
            The policy comes from the configuration's store (--config) or a policy YAML file \
            (--policy). The flood limits (sip.flood.*, or their defaults with --policy) run \
            as in the daemon, with each packet's capture time as the clock, starting with no \
            source tracked and no ban; messages they drop are counted in the summary. A capture \
            that cannot be read stops the replay with exit status 2.
            """
    )

    @Argument(help: "pcap or pcapng files, replayed in order.")
    var captures: [String]

    @Option(name: .shortAndLong, help: "A sipfence configuration: its store's policy and its SIP settings.")
    var config: String?

    @Option(help: "A policy YAML file (as `sipfence policy export` prints) instead of a store.")
    var policy: String?

    @Option(help: "With --policy: the upstream proxy (udp:HOST:PORT), whose requests are not checked.")
    var upstream: String?

    @Flag(help: "Print one JSON object per line, and the summary as a JSON object.")
    var json = false

    @Option(help: "Which INVITEs get a line: all, admitted or rejected (every refusal).")
    var only: ReplayReport.Filter = .all

    @Flag(inversion: .prefixedNo, help: "Apply the flood limits (sip.flood.*) with the capture's clock.")
    var floodLimits = true

    func validate() throws {
        guard (config == nil) != (policy == nil) else {
            throw ValidationError("give either --config or --policy")
        }
        guard !captures.isEmpty else { throw ValidationError("give at least one capture file") }
    }

    func run() async throws {
        let (policy, settings, sizes, limits) = try await setUp()
        var engine = ReplayEngine(
            pipeline: AdmissionPipeline(settings: settings), policy: policy, maximumMessageSize: sizes.message,
            maximumHeaderSize: sizes.header,
            flood: floodLimits ? FloodGuard(limits: limits) : nil)
        var report = ReplayReport(json: json, filter: only)
        var statistics: [(name: String, statistics: CaptureStatistics)] = []
        // A large capture takes a while: its progress on standard error, when that is a
        // terminal and the report goes elsewhere (not to interleave with its lines).
        let progress = TerminalProgress(forced: isatty(STDERR_FILENO) == 1 && isatty(STDOUT_FILENO) == 0)
        for (index, path) in captures.enumerated() {
            do {
                var reader = try CaptureReader(path: path)
                var events = 0
                while let event = try reader.next() {
                    engine.feed(event) { report.add($0) }
                    events += 1
                    if progress.isShown, events % 4_096 == 0 {
                        progress.show(
                            "replaying \(path) (\(index + 1) of \(captures.count)): "
                                + "\(TerminalProgress.megabytes(reader.bytesRead)) of \(TerminalProgress.megabytes(reader.byteCount)), "
                                + "\(engine.summary.messages) SIP messages")
                    }
                }
                statistics.append((path, reader.statistics))
            } catch {
                progress.clear()
                report.flush()
                FileHandleOutput.standardError("sipfence: \(error)\n")
                throw ExitCode(2)
            }
        }
        progress.clear()
        report.finish(summary: engine.summary, captures: statistics)
        if progress.isShown {
            FileHandleOutput.standardError(
                "replayed \(captures.count) capture(s), \(engine.summary.messages) SIP messages, "
                    + "in \(TerminalProgress.seconds(progress.elapsed))\n")
        }
    }

    /// The policy and admission settings to replay with.
    private func setUp() async throws -> (Policy, AdmissionSettings, (message: Int, header: Int?), FloodLimits) {
        if let config {
            var configuration = try ConfigOption(config: config).load()
            let store = try await PolicyStore.open(
                configuration.store, prefixLengthMinimums: configuration.prefixLengthMinimums,
                logger: Logger(label: "sipfence.store"))
            // The daemon's own keys, so replayed answers carry the To-tags it would send.
            try configuration.sign(with: try await store.signingKeyring(configured: configuration.keyring))
            let sip = configuration.sip
            // The sockets as configured; a port of 0 is replayed as the default port.
            let interfaces = sip.sockets.map { socket in
                var endpoint = socket.endpoint
                if endpoint.port == 0 { endpoint.port = endpoint.transport.defaultPort }
                let advertised = socket.side.facesCallers ? sip.advertisedHost : nil
                return SIPInterface(
                    endpoint: endpoint, advertisedHost: advertised ?? endpoint.address.canonical.description, side: socket.side)
            }
            let settings = AdmissionSettings(
                upstream: sip.upstream,
                interfaces: interfaces,
                unknownDomainStatus: sip.unknownDomainStatus,
                checkedMethods: sip.checkedMethods,
                dialogTokenMaxAge: sip.dialogTokenMaxAge,
                secret: sip.secret,
                digest: sip.digest,
                rotation: sip.rotation
            )
            return (try await store.compilePolicy(), settings, (sip.maxMessageBytes, sip.maxHeaderBytes), sip.flood)
        }
        let path = policy ?? ""
        let document = try PolicyDocumentReader.document(forCommand: path)
        let store = try PolicyStore.inMemory(prefixLengthMinimums: .none)  // replay shows what the file says
        do {
            try await store.apply(document)
        } catch {
            FileHandleOutput.standardError("sipfence: cannot use \(path): \(error)\n")
            throw ExitCode(2)
        }
        let upstreamEndpoint: SIPEndpoint
        do {
            upstreamEndpoint = try SIPEndpoint(upstream ?? "udp:0.0.0.0:0")
        } catch {
            throw ValidationError("--upstream: \(error)")
        }
        let settings = AdmissionSettings(
            upstream: upstreamEndpoint,
            interfaces: [SIPTransport.udp, .tcp].compactMap { transport in
                (try? SIPEndpoint("\(transport.rawValue.lowercased()):127.0.0.1:5060")).map {
                    SIPInterface(endpoint: $0, advertisedHost: "127.0.0.1", side: .both)
                }
            },
            secret: .random()
        )
        return (try await store.compilePolicy(), settings, (65_536, nil), FloodLimits())
    }
}

extension ReplayReport.Filter: ExpressibleByArgument {}
