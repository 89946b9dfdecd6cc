extension SIPMessage {
    /// The request methods of RFC 3261 and its extensions in IANA's SIP method registry
    /// (RFC 3262 PRACK, 3311 UPDATE, 6086 INFO, 3515 REFER, 6665 SUBSCRIBE/NOTIFY, 3428
    /// MESSAGE, 3903 PUBLISH). Counters keyed by method count these by name and every
    /// other token together, so that garbage methods cannot grow a metric or a summary
    /// without bound.
    public static let registeredMethods: Set<String> = [
        "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "PRACK", "UPDATE", "INFO", "REFER",
        "NOTIFY", "SUBSCRIBE", "MESSAGE", "PUBLISH",
    ]

    /// Whether `bytes` look like a SIP message at all: a status line (`SIP/2.0 …`) or a
    /// request line ending in ` SIP/2.0`. Tools that meet arbitrary traffic (capture
    /// replay) skip what does not; anything that does is judged by the parser.
    public static func looksLikeSIP(_ bytes: [UInt8]) -> Bool {
        var start = 0
        while start < bytes.count, bytes[start] == .cr || bytes[start] == .lf { start += 1 }
        var end = start
        while end < bytes.count, end - start < 2048, bytes[end] != .cr, bytes[end] != .lf { end += 1 }
        if bytes[start..<end].prefix(4).equalsCaseInsensitive("SIP/") { return true }
        while end > start, bytes[end - 1].isWhitespace { end -= 1 }
        return end - start > 8 && bytes[(end - 8)..<end].equalsCaseInsensitive(" SIP/2.0")
    }
}
