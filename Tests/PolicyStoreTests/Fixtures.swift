import AccessControl
import Foundation
import Synchronization
import Testing

@testable import PolicyStore

/// Two accounts, a controllable clock and shorthands shared by the store's tests.
enum Fixtures {
    static let alice = SID("AC00000000000000000000000000000001", kind: .account)!
    static let bob = SID("AC00000000000000000000000000000002", kind: .account)!

    static func prefix(_ text: String) -> IPPrefix {
        do { return try IPPrefix(text) } catch { preconditionFailure("test prefix \(text): \(error)") }
    }

    static func address(_ text: String) -> IPAddress {
        do { return try IPAddress(text) } catch { preconditionFailure("test address \(text): \(error)") }
    }

    static func domain(_ text: String) -> DomainName {
        do { return try DomainName(validating: text) } catch { preconditionFailure("test domain \(text): \(error)") }
    }

    /// The hashes of `password` for `username` in `realm`, as the management API makes them.
    static func secret(_ username: String, _ password: String, realm: String = "sipfence") -> CredentialSecret {
        do {
            return try CredentialSecret(
                realm: realm, ha1MD5: DigestAlgorithm.md5.ha1(username: username, realm: realm, password: password),
                ha1SHA256: DigestAlgorithm.sha256.ha1(username: username, realm: realm, password: password))
        } catch {
            preconditionFailure("test secret: \(error)")
        }
    }
}

/// A clock that stands still until moved.
final class TestClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_438_286_400))  // Thu, 30 Jul 2015 20:00:00 +0000

    var now: @Sendable () -> Date { { self.current.withLock { $0 } } }

    func advance(by seconds: TimeInterval) {
        current.withLock { $0 += seconds }
    }
}

/// Expects `body` to fail with ``PolicyStoreError/constraintViolation(_:)``: the schema,
/// not the store's code, refused the write.
func expectConstraintViolation<T>(
    _ statement: String = "the write", sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> T
) async {
    do {
        _ = try await body()
        Issue.record("\(statement) was not refused", sourceLocation: sourceLocation)
    } catch let error as PolicyStoreError {
        guard case .constraintViolation = error else {
            Issue.record("\(statement) was refused with \(error), not a constraint violation", sourceLocation: sourceLocation)
            return
        }
    } catch {
        Issue.record("\(statement) was refused with \(error), not a PolicyStoreError", sourceLocation: sourceLocation)
    }
}
