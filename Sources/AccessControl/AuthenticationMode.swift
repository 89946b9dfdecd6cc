/// How a domain's two kinds of rule combine when it has both IP access control lists and
/// credential lists mapped for calls (`sip.auth_mode`).
public enum AuthenticationMode: String, Hashable, Sendable, CaseIterable {
    /// Both must pass: the source must lie in a mapped list, and then the caller must
    /// authenticate. The default, and the safe reading of Twilio's model.
    case all
    /// Either suffices: a source inside a mapped list is admitted without a challenge, and
    /// any other source may still authenticate by digest. This widens every domain that
    /// has both kinds mapped.
    case any
}
