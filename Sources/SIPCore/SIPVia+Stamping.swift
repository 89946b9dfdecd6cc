extension SIPVia {
    /// This Via as the server that received the request records it (RFC 3261 §18.2.1,
    /// RFC 3581 §4): `received` is set to the source address when the sent-by host is not
    /// that address, or whenever `rport` was asked for; a requested `rport` gets the
    /// source port.
    ///
    /// - Parameters:
    ///   - sourceHost: the packet's source address, in text form (IPv6 without brackets).
    ///   - sourcePort: the packet's source port.
    ///   - sentByIsSource: whether the sent-by host is the source address. Comparing
    ///     addresses is access control's business, so the caller decides; it is asked only
    ///     when `rport` was not (most clients ask for it, and then the answer is unused).
    public func stamped(sourceHost: String, sourcePort: Int, sentByIsSource: @autoclosure () -> Bool) -> SIPVia {
        var via = self
        let rportRequested = responsePort != .absent
        if rportRequested || !sentByIsSource() {
            via.setParameter("received", to: sourceHost)
        }
        if rportRequested {
            via.setParameter("rport", to: String(sourcePort))
        }
        return via
    }
}
