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
}
