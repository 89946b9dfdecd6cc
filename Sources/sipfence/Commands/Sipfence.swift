import ArgumentParser

/// `sipfence`: the SIP INVITE admission filter daemon and its tools.
@main
struct Sipfence: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sipfence",
        abstract: "A SIP INVITE admission filter: only known networks may call into a SIP domain.",
        version: "0.1.0",
        subcommands: [RunCommand.self, CheckConfigCommand.self, PolicyCommand.self, ReplayCommand.self],
        defaultSubcommand: nil
    )
}

/// The `--config` option every command that reads the configuration takes.
struct ConfigOption: ParsableArguments {
    @Option(name: .shortAndLong, help: "The YAML configuration file.")
    var config: String = "/etc/sipfence/sipfence.yaml"

    init() {}

    init(config: String) {
        self.config = config
    }

    /// Loads the configuration, or prints every problem (`key: reason`) and exits with 2.
    func load() throws -> DaemonConfiguration {
        do {
            return try ConfigurationLoader().load(file: config)
        } catch {
            var standardError = StandardError()
            print("sipfence: the configuration in \(config) is not valid:", to: &standardError)
            for problem in error.errors {
                print("  \(problem)", to: &standardError)
            }
            throw ExitCode(2)
        }
    }
}

/// Standard error as a `TextOutputStream`.
struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandleOutput.standardError(string)
    }
}
