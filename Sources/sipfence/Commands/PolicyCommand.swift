import ArgumentParser
import Foundation
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
        static let configuration = CommandConfiguration(abstract: "Print the store's policy as YAML.")

        @OptionGroup var options: ConfigOption

        func run() async throws {
            let configuration = try options.load()
            let store = try PolicyStore.open(at: configuration.storePath, prefixLengthMinimums: configuration.prefixLengthMinimums)
            let document = try await store.export()
            print(try YAMLEncoder().encode(document), terminator: "")
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
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                FileHandleOutput.standardError("sipfence: cannot read \(file): \(error.localizedDescription)\n")
                throw ExitCode(2)
            }
            let document: PolicyDocument
            do {
                document = try YAMLDecoder().decode(PolicyDocument.self, from: text)
            } catch {
                FileHandleOutput.standardError("sipfence: \(file) is not a policy document: \(error)\n")
                throw ExitCode(2)
            }
            let store = try PolicyStore.open(at: configuration.storePath, prefixLengthMinimums: configuration.prefixLengthMinimums)
            do {
                let result = try await store.apply(document, prune: prune)
                if result.changedAnything {
                    print(
                        "applied \(file): \(result.created) created, \(result.updated) updated, \(result.deleted) deleted "
                            + "(policy generation \(result.generation))"
                    )
                } else {
                    print("applied \(file): nothing changed (policy generation \(result.generation))")
                }
            } catch {
                FileHandleOutput.standardError("sipfence: cannot apply \(file): \(error)\n")
                throw ExitCode(2)
            }
        }
    }
}
