import Admission
import ArgumentParser
import Foundation

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
        let sip = configuration.sip
        print(
            "  TCP: \(sip.maxTCPConnections) connections, \(sip.maxTCPConnectionsPerSource == 0 ? "no limit" : "\(sip.maxTCPConnectionsPerSource)") per source, "
                + "\(Int((sip.tcpReservedForKnown * 100).rounded())) % reserved for sources in a list")
        print("  flood limits: \(Self.describe(sip.flood))")
        let operators = configuration.accounts.filter(\.isOperator).count
        print(
            "  API: \(configuration.api.host):\(configuration.api.port), \(configuration.accounts.count) account(s)"
                + (operators > 0 ? ", \(operators) operator(s)" : ""))
        print("  store: \(configuration.store)")
        if !configuration.secretConfigured {
            print("  note: sip.secret is not set; the secret kept in the store (generated at the first start) is used")
        }
    }

    /// The flood limits in one line.
    static func describe(_ flood: FloodLimits) -> String {
        func rate(_ value: Double, burst: Double) -> String {
            value == 0 ? "no limit" : "\(String(format: "%g", value))/s (burst \(String(format: "%g", burst)))"
        }
        var parts = [
            "unknown sources \(rate(flood.unknownSourceRate, burst: flood.unknownSourceBurst))",
            "known sources \(rate(flood.knownSourceRate, burst: flood.knownSourceBurst))",
        ]
        if flood.banAfter > 0 && flood.unknownSourceRate > 0 {
            parts.append("ban after \(String(format: "%g", flood.banAfter)) s over")
        }
        if flood.digestFailuresPerMinute > 0 { parts.append("or \(flood.digestFailuresPerMinute) digest failures/min") }
        parts.append("bans last \(String(format: "%g", flood.banDuration)) s")
        if !flood.neverBan.isEmpty { parts.append("never banned: \(flood.neverBan.map(\.description).joined(separator: ", "))") }
        return parts.joined(separator: "; ")
    }
}
