import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One line of progress for a long command (`policy import` of a large file, `replay` of a
/// large capture), redrawn in place on standard error at most ten times a second — and
/// only when standard error is a terminal, so that nothing of it reaches a pipe, a file or
/// a log.
final class TerminalProgress: Sendable {
    /// Whether anything is shown (standard error is a terminal).
    let isShown: Bool
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant
    private let lastDrawn = Mutex<ContinuousClock.Instant?>(nil)

    /// A report on standard error when it is a terminal, or `forced` either way.
    init(forced: Bool? = nil) {
        isShown = forced ?? (isatty(STDERR_FILENO) == 1)
        started = clock.now
    }

    /// The time since the report began.
    var elapsed: Duration { clock.now - started }

    /// Shows `text` in place of the previous line, unless a line was drawn less than 0.1 s
    /// ago (`immediately` draws it anyway).
    func show(_ text: @autoclosure () -> String, immediately: Bool = false) {
        guard isShown else { return }
        let now = clock.now
        let due = lastDrawn.withLock { last in
            if !immediately, let last, now - last < .milliseconds(100) { return false }
            last = now
            return true
        }
        guard due else { return }
        FileHandleOutput.standardError("\r\(text())\u{1B}[K")
    }

    /// Shows `text` with the seconds `body` has taken so far, twice a second, while `body`
    /// runs (for one long step that reports nothing itself, such as a store transaction).
    func showing<T: Sendable>(
        _ text: @escaping @Sendable () -> String, while body: () async throws -> T
    ) async throws -> T {
        guard isShown else { return try await body() }
        let step = clock.now
        let ticker = Task { [clock] in
            while !Task.isCancelled {
                show("\(text()) \(Self.seconds(clock.now - step))", immediately: true)
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
        // The ticker is over before anything else is printed.
        do {
            let value = try await body()
            ticker.cancel()
            await ticker.value
            return value
        } catch {
            ticker.cancel()
            await ticker.value
            throw error
        }
    }

    /// Clears the line, so that what is printed next starts clean.
    func clear() {
        guard isShown else { return }
        FileHandleOutput.standardError("\r\u{1B}[K")
    }

    /// `duration` as seconds with one decimal: "12.3 s".
    static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let tenths = (seconds * 10) + attoseconds / 100_000_000_000_000_000
        return "\(tenths / 10).\(tenths % 10) s"
    }

    /// `bytes` as megabytes with one decimal: "40.2 MB".
    static func megabytes(_ bytes: Int) -> String {
        let tenths = bytes / 100_000
        return "\(tenths / 10).\(tenths % 10) MB"
    }
}
