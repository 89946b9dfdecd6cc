import ArgumentParser
import Foundation
import Logging
import PolicyStore
import Yams

/// `sipfence policy export|import`: the whole policy as YAML, so it can live in git.
struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Export or import the policy (domains, lists with addresses, mappings) as YAML.",
        subcommands: [Export.self, Import.self]
    )

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the store's policy as YAML, or write it to a file readable by its owner only.",
            discussion: "The policy includes the credential lists' digest hashes (HA1), which are password-equivalent for the realm: --output writes the file with mode 0600."
        )

        @OptionGroup var options: ConfigOption

        @Option(name: [.short, .long], help: "Write to this file (created or replaced with mode 0600) instead of standard output.")
        var output: String?

        func run() async throws {
            let configuration = try options.load()
            let store = try await PolicyStore.open(
                configuration.store, prefixLengthMinimums: configuration.prefixLengthMinimums,
                logger: Logger(label: "sipfence.store"))
            let document = try await store.export()
            let yaml = try YAMLEncoder().encode(document)
            let credentials = document.accounts.reduce(0) { $0 + $1.credentialLists.reduce(0) { $0 + $1.credentials.count } }
            guard let output else {
                print(yaml, terminator: "")
                if credentials > 0 {
                    FileHandleOutput.standardError(
                        "sipfence: the export holds \(credentials) credential hash(es), which are password-equivalent: keep it private (--output FILE writes it with mode 0600)\n")
                }
                return
            }
            try Self.writePrivately(yaml, to: output)
            FileHandleOutput.standardError(
                "sipfence: wrote \(output) with mode 0600: it holds \(credentials) credential hash(es), which are password-equivalent\n")
        }

        /// Writes `text` to `path` so that no one but the owner can read it at any moment:
        /// the file is created with mode 0600 (or an existing one set to 0600 before it is
        /// truncated and written).
        static func writePrivately(_ text: String, to path: String) throws {
            let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw PolicyExportError.cannotWrite(path, errno: errno) }
            defer { close(descriptor) }
            guard fchmod(descriptor, 0o600) == 0, ftruncate(descriptor, 0) == 0 else {
                throw PolicyExportError.cannotWrite(path, errno: errno)
            }
            let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
            try handle.write(contentsOf: Data(text.utf8))
            try handle.synchronize()
        }
    }

    /// Why `policy export --output` failed.
    enum PolicyExportError: Error, CustomStringConvertible {
        case cannotWrite(String, errno: Int32)

        var description: String {
            switch self {
            case .cannotWrite(let path, let code): "cannot write \(path): \(String(cString: strerror(code)))"
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply a policy YAML file to the store. Running it again changes nothing.",
            discussion: "Records in the file are created or updated; with --prune, records of the listed accounts that the file does not mention are deleted."
        )

        @OptionGroup var options: ConfigOption

        @Argument(help: "The policy YAML file (as printed by `sipfence policy export`).")
        var file: String

        @Flag(help: "Delete records of the file's accounts that the file does not list.")
        var prune = false

        func run() async throws {
            let configuration = try options.load()
            // A large file takes a while: its progress on standard error, when a terminal.
            let progress = TerminalProgress()
            let document = try PolicyDocumentReader.document(forCommand: file, progress: progress)
            progress.show("opening the store", immediately: true)
            let store: PolicyStore
            do {
                store = try await PolicyStore.open(
                    configuration.store, prefixLengthMinimums: configuration.prefixLengthMinimums,
                    logger: Logger(label: "sipfence.store"))
            } catch {
                progress.clear()
                throw error
            }
            do {
                let addresses = document.accounts.reduce(0) { $0 + $1.ipAccessControlLists.reduce(0) { $0 + $1.ipAddresses.count } }
                let result = try await progress.showing({ "applying \(file) (\(addresses) IP addresses) to the store:" }) {
                    try await store.apply(document, prune: prune)
                }
                progress.clear()
                let took = TerminalProgress.seconds(progress.elapsed)
                if result.changedAnything {
                    print(
                        "applied \(file): \(result.created) created, \(result.updated) updated, \(result.deleted) deleted "
                            + "(policy generation \(result.generation)) in \(took)"
                    )
                } else {
                    print("applied \(file): nothing changed (policy generation \(result.generation)) in \(took)")
                }
            } catch {
                progress.clear()
                FileHandleOutput.standardError("sipfence: cannot apply \(file): \(error)\n")
                throw ExitCode(2)
            }
        }
    }
}
