import ArgumentParser

/// `sipfence check-config`: validates a configuration and explains every problem.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a configuration file; exit 2 with every problem explained when it is not valid."
    )

    @OptionGroup var options: ConfigOption

    func run() throws {
        let configuration = try options.load()
        print("configuration OK: \(options.config)")
        print("  SIP listen: \(configuration.sip.listen.map(\.description).joined(separator: ", "))")
        print("  upstream: \(configuration.sip.upstream)")
        print("  checked methods: \(configuration.sip.checkedMethods.sorted().joined(separator: ", "))")
        print("  unknown domains get: \(configuration.sip.unknownDomainStatus.code)")
        print("  API: \(configuration.api.host):\(configuration.api.port), \(configuration.accounts.count) account(s)")
        print("  store: \(configuration.storePath)")
        if !configuration.secretConfigured {
            print("  note: sip.secret is not set; the secret kept in the store (generated at the first start) is used")
        }
    }
}
