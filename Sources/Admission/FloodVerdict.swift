/// What the flood limits say of one request, before it is parsed.
public enum FloodVerdict: Hashable, Sendable {
    /// Within its budget (or not limited): handle it.
    case pass
    /// Over its rate: drop it unanswered, so that a flood from a spoofed source is not
    /// amplified by answers.
    case overLimit
    /// From a banned source: drop it unanswered.
    case banned
    /// Over its rate for long enough: this request starts `ban` (and is dropped).
    case bannedNow(FloodBan)

    /// Whether its source is banned (before or by this request).
    public var bansSource: Bool {
        switch self {
        case .banned, .bannedNow: true
        case .pass, .overLimit: false
        }
    }

    /// The metric label: `over_limit` or `banned`; `nil` for ``pass``.
    public var dropReason: String? {
        switch self {
        case .pass: nil
        case .overLimit: "over_limit"
        case .banned, .bannedNow: "banned"
        }
    }
}

/// How the flood limits treat a source.
public enum SourceStanding: Hashable, Sendable {
    /// The upstream proxy: never limited, never banned.
    case upstream
    /// Inside some mapped list: `sip.flood.known_source_rate`, never banned.
    case known
    /// Outside every list: `sip.flood.unknown_source_rate`, and banned when it keeps
    /// going over it.
    case unknown
}
