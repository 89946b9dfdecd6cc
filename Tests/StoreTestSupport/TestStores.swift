public import AccessControl
public import Foundation
public import PolicyStore
import TestSupport

/// The policy stores the store and API suites run against.
///
/// The suites run twice in `scripts/test.sh`: on SQLite (in memory), and with
/// `SIPFENCE_TEST_STORE=postgres` on PostgreSQL (a database of its own per store, on the
/// test process's ``PostgresServer/shared()`` server), so that both back-ends pass the same
/// tests.
public enum TestStores {
    /// A store back-end.
    public enum Backend: String, Sendable, CaseIterable {
        case sqlite
        case postgres
    }

    /// The back-end of this run: `SIPFENCE_TEST_STORE` (`sqlite`, the default, or `postgres`).
    public static let backend: Backend =
        ProcessInfo.processInfo.environment["SIPFENCE_TEST_STORE"].flatMap(Backend.init(rawValue:)) ?? .sqlite

    /// A new, empty store on this run's back-end.
    public static func make(
        now: @escaping @Sendable () -> Date = { Date() }, prefixLengthMinimums: PrefixLengthMinimums = .default
    ) async throws -> PolicyStore {
        try await make(backend, now: now, prefixLengthMinimums: prefixLengthMinimums)
    }

    /// A new, empty store on `backend`.
    public static func make(
        _ backend: Backend, now: @escaping @Sendable () -> Date = { Date() },
        prefixLengthMinimums: PrefixLengthMinimums = .default
    ) async throws -> PolicyStore {
        switch backend {
        case .sqlite:
            return try PolicyStore.inMemory(now: now, prefixLengthMinimums: prefixLengthMinimums)
        case .postgres:
            let url = try await PostgresServer.shared().makeDatabase()
            return try await PolicyStore.connect(
                to: PostgresStoreSettings(url: url), now: now, prefixLengthMinimums: prefixLengthMinimums)
        }
    }
}
