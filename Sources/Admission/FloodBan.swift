public import AccessControl
public import SIPCore

/// A source banned by the flood limits: every request from it is dropped unanswered,
/// and its TCP connections are closed at accept, until ``until``.
///
/// Bans are per node: each sipfence keeps its own.
public struct FloodBan: Hashable, Sendable {
    /// Why a source was banned.
    public enum Reason: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
        /// It kept sending over its request rate for `sip.flood.ban_after_seconds`.
        case requestRate = "request_rate"
        /// It failed digest authentication more than `sip.flood.digest_failures_per_minute`
        /// times in a minute (password guessing, user enumeration).
        case digestFailures = "digest_failures"

        public var description: String { rawValue }
    }

    /// What is banned: an IPv4 address (as a /32) or an IPv6 prefix (by default a /64).
    public let source: IPPrefix
    /// The address whose request led to the ban.
    public let address: IPAddress
    /// The transport of that request. Over TCP the handshake proved the address; a UDP
    /// source may have been spoofed, so firewall bans should follow TCP bans only.
    public let transport: SIPTransport
    /// Why.
    public let reason: Reason
    /// When the ban began, in seconds since the Unix epoch.
    public let since: Double
    /// When it ends, in seconds since the Unix epoch.
    public let until: Double
    /// Requests dropped over the limit (or digest failures counted) before the ban.
    public let offences: Int
    /// Requests dropped while banned.
    public var dropped: Int

    /// A ban of `source` from `since` for `duration` seconds.
    public init(
        source: IPPrefix, address: IPAddress, transport: SIPTransport, reason: Reason, since: Double, duration: Double,
        offences: Int, dropped: Int = 0
    ) {
        self.source = source
        self.address = address
        self.transport = transport
        self.reason = reason
        self.since = since
        self.until = since + duration
        self.offences = offences
        self.dropped = dropped
    }

    /// The stable log line of a new ban, which the fail2ban filter in `config/` matches
    /// (for TCP bans only):
    /// `flood ban: source ADDRESS transport tcp|udp reason REASON prefix PREFIX seconds N offences N`.
    public var logLine: String {
        "flood ban: source \(address.canonical) transport \(transport.rawValue.lowercased()) reason \(reason) prefix \(source) "
            + "seconds \(Int((until - since).rounded())) offences \(offences)"
    }
}
