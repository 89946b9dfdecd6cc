import ArgumentParser

/// `sipfence run`: the daemon.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon: SIP listeners, the management API and the policy store.",
        discussion: """
            Prints one `listening <proto> <host>:<port>` line per bound socket on standard \
            output (followed by ` upstream` for a socket of sip.upstream_listen), then reports READY=1 to systemd when NOTIFY_SOCKET is set. Logs go to \
            standard error. SIGTERM/SIGINT stop it gracefully; SIGHUP reloads the configuration \
            and the policy.
            """
    )

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let configuration = try options.load()
        let logLevel = LogLevelControl(configuration.logLevel)
        LoggingSetup.bootstrap(format: configuration.logFormat, control: logLevel)
        let registry = MetricsSetup.bootstrap()
        MallocTuning.limitArenas()
        let daemon = Daemon(configurationPath: options.config, configuration: configuration, logLevel: logLevel, registry: registry)
        try await daemon.run()
    }
}
