extension DigestAlgorithm {
    /// `KD(secret, data) = H(secret ":" data)` (RFC 7616 §3.4.1, RFC 2617 §3.1.3): the
    /// keyed digest every request-digest is.
    public func kd(secret: some StringProtocol, data: some StringProtocol) -> String {
        hash("\(secret):\(data)")
    }

    /// `HA2 = H(method ":" digest-uri)` (RFC 7616 §3.4.3) for `qop=auth` and for
    /// credentials without a qop; `digest-uri` is the `uri=` of the credentials, as the
    /// client wrote it (RFC 3261 §22.4: the Request-URI it sent).
    public func ha2(method: some StringProtocol, digestURI: some StringProtocol) -> String {
        hash("\(method):\(digestURI)")
    }

    /// The request-digest the client should have sent as `response=` (RFC 7616 §3.4.1,
    /// RFC 3261 §22.4):
    ///
    /// - `qop=auth`: `KD(HA1, nonce ":" nc ":" cnonce ":" "auth" ":" HA2)`;
    /// - no qop (RFC 2069 compatibility): `KD(HA1, nonce ":" HA2)`.
    ///
    /// - Parameters:
    ///   - ha1: the stored `H(username ":" realm ":" password)` of this algorithm (see
    ///     ``ha1(username:realm:password:)``).
    ///   - nonce: the `nonce=` of the credentials, unquoted.
    ///   - method: the request method (the CSeq method, RFC 3261 §22.4).
    ///   - digestURI: the `uri=` of the credentials, unquoted.
    ///   - qop: whether and how `qop=auth` was used.
    /// - Returns: lower-case hex, ``hexLength`` digits.
    public func requestDigest(
        ha1: some StringProtocol,
        nonce: some StringProtocol,
        method: some StringProtocol,
        digestURI: some StringProtocol,
        qop: DigestQOP
    ) -> String {
        let ha2 = ha2(method: method, digestURI: digestURI)
        switch qop {
        case .rfc2069:
            return kd(secret: ha1, data: "\(nonce):\(ha2)")
        case .auth(let nc, let cnonce):
            return kd(secret: ha1, data: "\(nonce):\(nc):\(cnonce):auth:\(ha2)")
        }
    }

    /// Whether the `response=` a client sent equals the request-digest sipfence expects,
    /// compared in constant time and without regard to the case of hex digits (some user
    /// agents send upper case).
    ///
    /// The time taken depends on the lengths only, never on where the first difference
    /// is, so the comparison does not tell a guesser how much of a forged response was
    /// right.
    public static func responsesMatch(expected: some StringProtocol, received: some StringProtocol) -> Bool {
        let expected = Array(expected.utf8)
        let received = Array(received.utf8)
        guard expected.count == received.count, !expected.isEmpty else { return false }
        var difference: UInt8 = 0
        for index in expected.indices {
            difference |= lowercased(expected[index]) ^ lowercased(received[index])
        }
        return difference == 0
    }

    /// `byte` with ASCII `A`…`Z` folded to lower case, without a branch on the byte.
    private static func lowercased(_ byte: UInt8) -> UInt8 {
        // Negative (all ones after the shift) when the byte is below "A" or above "Z".
        let outside = UInt8(truncatingIfNeeded: ((Int(byte) &- 0x41) | (0x5A &- Int(byte))) >> 8)
        return byte | (~outside & 0x20)
    }
}
