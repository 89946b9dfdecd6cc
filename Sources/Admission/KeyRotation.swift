/// A key rotation in progress (`sip.previous_secret` until `sip.previous_secret_until`):
/// the previous keyring stays accepted for verification — never for signing — until a
/// time, so that To-tags, branches and nonces it signed keep working while the new secret
/// takes over.
public struct KeyRotation: Hashable, Sendable {
    /// The keys of the previous secret.
    public var previous: SIPKeyring
    /// Until when (seconds since the Unix epoch, exclusive) they are accepted.
    public var acceptedUntil: UInt64

    /// A rotation accepting `previous` until `acceptedUntil`.
    public init(previous: SIPKeyring, acceptedUntil: UInt64) {
        self.previous = previous
        self.acceptedUntil = acceptedUntil
    }

    /// Whether the previous keys are still accepted at `now`.
    public func accepts(at now: UInt64) -> Bool {
        now < acceptedUntil
    }

    /// Why the previous keys cannot be used beside `current`, or `nil` when they can:
    /// they must be another secret's, with another key id, so that signed values name
    /// the key that made them.
    public func conflict(with current: SIPKeyring) -> String? {
        if previous == current { return "is the secret in use" }
        if previous.keyID == current.keyID {
            return "has the same key id as the secret in use (1 in 256 secrets do): draw another sip.secret"
        }
        return nil
    }
}
