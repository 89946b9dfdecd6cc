import Logging
import Synchronization

/// The log level every handler consults, so that a reload (SIGHUP) can change it for
/// loggers that already exist.
final class LogLevelControl: Sendable {
    private let level: Atomic<UInt8>

    init(_ level: Logger.Level) {
        self.level = Atomic(Self.index(level))
    }

    var current: Logger.Level {
        get { Logger.Level.allCases[Int(level.load(ordering: .relaxed))] }
        set { level.store(Self.index(newValue), ordering: .relaxed) }
    }

    private static func index(_ level: Logger.Level) -> UInt8 {
        UInt8(Logger.Level.allCases.firstIndex(of: level) ?? 0)
    }
}

/// A handler whose level is the shared ``LogLevelControl``'s.
struct ControlledLogHandler: LogHandler {
    var base: any LogHandler
    let control: LogLevelControl

    var logLevel: Logger.Level {
        get { control.current }
        set {}  // the level is set for the whole process, through the control
    }

    var metadata: Logger.Metadata {
        get { base.metadata }
        set { base.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { base[metadataKey: key] }
        set { base[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        base.log(event: event)
    }
}

enum LoggingSetup {
    /// Installs the process-wide log handler: text or JSON lines on standard error
    /// (standard output carries the `listening …` lines).
    static func bootstrap(format: DaemonConfiguration.LogFormat, control: LogLevelControl) {
        LoggingSystem.bootstrap { label in
            let base: any LogHandler =
                switch format {
                case .text: StreamLogHandler.standardError(label: label)
                case .json: JSONLogHandler(label: label, level: .trace)
                }
            var handler = ControlledLogHandler(base: base, control: control)
            handler.base.logLevel = .trace  // filtering happens in ControlledLogHandler
            return handler
        }
    }
}
