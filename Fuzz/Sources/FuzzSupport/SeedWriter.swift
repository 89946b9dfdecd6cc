import Foundation

/// Writes a target's generated seeds when asked to, instead of fuzzing.
///
/// A fuzz target's `LLVMFuzzerInitialize` calls ``writeIfRequested(_:)``: when the
/// environment variable `SIPFENCE_FUZZ_WRITE_SEEDS` names a directory, the seeds are
/// written there (one file each, `gen-<name>`) and the process exits. This is how the
/// `gen-*` files of `Fuzz/Corpus` were made (see `Fuzz/README.md`).
public enum SeedWriter {
    /// The environment variable naming the output directory.
    public static let variable = "SIPFENCE_FUZZ_WRITE_SEEDS"

    /// Writes `seeds()` and exits when ``variable`` is set; returns otherwise.
    public static func writeIfRequested(_ seeds: () -> [(name: String, bytes: [UInt8])]) {
        guard let directory = ProcessInfo.processInfo.environment[variable], !directory.isEmpty else { return }
        let url = URL(fileURLWithPath: directory, isDirectory: true)
        let list = seeds()
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            for seed in list {
                try Data(seed.bytes).write(to: url.appendingPathComponent("gen-\(seed.name)"))
            }
        } catch {
            FileHandle.standardError.write(Data("cannot write seeds to \(directory): \(error)\n".utf8))
            exit(1)
        }
        print("wrote \(list.count) seeds to \(directory)")
        exit(0)
    }
}
