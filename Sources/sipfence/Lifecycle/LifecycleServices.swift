import Logging
import ServiceLifecycle
import SIPEdge

/// Tells systemd `STOPPING=1` as soon as a graceful shutdown begins. Registered last in
/// the service group, so it is the first to hear of the shutdown.
struct StoppingNotifier: Service {
    let notifier: SystemdNotifier
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        logger.info("stopping")
        notifier.notify("STOPPING=1")
    }
}

/// Pings the systemd watchdog at half its interval and refreshes the `STATUS=` line with
/// live counts; without a watchdog it refreshes the status every 10 seconds.
struct WatchdogService: Service {
    let notifier: SystemdNotifier
    let status: @Sendable () -> String

    func run() async throws {
        // A service that returns ends the group, so without systemd this one just waits.
        guard notifier.isEnabled else {
            try? await gracefulShutdown()
            return
        }
        let interval = notifier.watchdogInterval.map { $0 / 2 } ?? .seconds(10)
        let pingsWatchdog = notifier.watchdogInterval != nil
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                notifier.notify((pingsWatchdog ? "WATCHDOG=1\n" : "") + "STATUS=\(status())")
                try? await Task.sleep(for: interval)
            }
        }
    }
}
