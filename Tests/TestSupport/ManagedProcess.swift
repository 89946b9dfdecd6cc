import Foundation
import Synchronization

#if canImport(Glibc)
public import Glibc
#endif

/// An external process a test starts (the daemon, Kamailio, sipp), with its output
/// captured, that the test always stops — also when it fails: use
/// ``run(_:arguments:environment:name:body:)``.
///
/// Processes are started with `posix_spawn` rather than Foundation's `Process`: the test
/// runner's threads block signals, and a child inherits that mask — Kamailio would then
/// ignore SIGTERM, and SIGCHLD-based reaping would never see an exit. Here every child
/// starts with an empty signal mask and default handlers, in a process group of its own
/// (so stopping it stops the children it forked too), and is reaped with `waitpid`.
public final class ManagedProcess: Sendable {
    /// What the output readers and the test share.
    private final class State: Sendable {
        let standardOutput = Mutex("")
        let standardError = Mutex("")
        let exitStatus = Mutex<Int32?>(nil)
    }

    public let name: String
    public let processIdentifier: pid_t
    private let state = State()

    private init(name: String, processIdentifier: pid_t) {
        self.name = name
        self.processIdentifier = processIdentifier
    }

    /// Starts `executable`, runs `body`, and stops the process however `body` ends.
    public static func run<Result>(
        _ executable: String,
        arguments: [String],
        environment: [String: String] = [:],
        name: String? = nil,
        body: (ManagedProcess) async throws -> Result
    ) async throws -> Result {
        let managed = try start(executable, arguments: arguments, environment: environment, name: name)
        do {
            let result = try await body(managed)
            await managed.stop()
            return result
        } catch {
            await managed.stop()
            throw error
        }
    }

    public static func start(_ executable: String, arguments: [String], environment: [String: String] = [:], name: String? = nil) throws -> ManagedProcess {
        var outputPipe: [Int32] = [0, 0]
        var errorPipe: [Int32] = [0, 0]
        guard pipe(&outputPipe) == 0, pipe(&errorPipe) == 0 else { throw HarnessError.failed("pipe() failed") }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
        for descriptor in outputPipe + errorPipe { posix_spawn_file_actions_addclose(&actions, descriptor) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let mergedEnvironment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let envp = mergedEnvironment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        close(outputPipe[1])
        close(errorPipe[1])
        guard spawned == 0 else {
            close(outputPipe[0])
            close(errorPipe[0])
            throw HarnessError.failed("cannot start \(executable): \(String(cString: strerror(spawned)))")
        }

        let managed = ManagedProcess(name: name ?? URL(fileURLWithPath: executable).lastPathComponent, processIdentifier: pid)
        readInBackground(outputPipe[0], into: managed.state, standardError: false)
        readInBackground(errorPipe[0], into: managed.state, standardError: true)
        return managed
    }

    /// Copies everything from `descriptor` into the state until end of file.
    private static func readInBackground(_ descriptor: Int32, into state: State, standardError: Bool) {
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 16_384)
            while true {
                let count = read(descriptor, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                let text = String(decoding: buffer[0..<count], as: UTF8.self)
                if standardError {
                    state.standardError.withLock { $0 += text }
                } else {
                    state.standardOutput.withLock { $0 += text }
                }
            }
            close(descriptor)
        }
    }

    public var standardOutput: String { state.standardOutput.withLock { $0 } }
    public var standardError: String { state.standardError.withLock { $0 } }

    /// The exit status (128 + signal number when killed by a signal), once it exited.
    public var exitStatus: Int32? {
        reap()
        return state.exitStatus.withLock { $0 }
    }

    public var isRunning: Bool { exitStatus == nil }

    /// Collects the exit status if the process has ended.
    private func reap() {
        state.exitStatus.withLock { exitStatus in
            guard exitStatus == nil else { return }
            var status: Int32 = 0
            guard waitpid(processIdentifier, &status, WNOHANG) == processIdentifier else { return }
            let signal = status & 0x7f
            exitStatus = signal == 0 ? (status >> 8) & 0xff : 128 + signal
        }
    }

    /// Waits until standard output has lines satisfying `condition`, or fails after `seconds`.
    public func waitForOutput(within seconds: Double = 15, _ condition: ([String]) -> Bool) async throws -> [String] {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            let current = standardOutput.split(separator: "\n").map(String.init)
            if condition(current) { return current }
            guard isRunning else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessError.timeout("\(name) did not print what was expected; stdout:\n\(standardOutput)\nstderr:\n\(standardError.suffix(4000))")
    }

    /// Waits for the process to exit by itself, or fails after `seconds`.
    @discardableResult
    public func waitForExit(within seconds: Double = 30) async throws -> Int32 {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while true {
            if let status = exitStatus {
                // Let the output readers drain.
                try await Task.sleep(for: .milliseconds(50))
                return status
            }
            guard ContinuousClock.now < deadline else {
                throw HarnessError.timeout("\(name) did not exit within \(seconds) s; stderr:\n\(standardError.suffix(3000))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Sends `signal` to the process.
    public func send(_ signal: Int32) {
        if isRunning { kill(processIdentifier, signal) }
    }

    /// Stops the process and everything it forked: SIGTERM to its process group, then
    /// SIGKILL after 5 s.
    public func stop() async {
        guard isRunning else {
            kill(-processIdentifier, SIGKILL)  // children it may have left behind
            return
        }
        kill(-processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(5)
        while isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        kill(-processIdentifier, SIGKILL)
        while isRunning {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// Why a test harness step failed.
public enum HarnessError: Error, CustomStringConvertible {
    /// A step did not finish in time; what was seen instead.
    case timeout(String)
    /// A step failed; why.
    case failed(String)

    public var description: String {
        switch self {
        case .timeout(let detail): "timeout: \(detail)"
        case .failed(let detail): detail
        }
    }
}
