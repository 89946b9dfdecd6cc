public import AccessControl
public import Crypto

/// Stateless Digest nonces (RFC 7616 §3.3, §5.4; RFC 3261 §22.4): sipfence remembers no
/// nonce it issued, yet recognises its own, tells an expired one from a forged one, and
/// binds each to the request it challenged.
///
/// A nonce is 27 bytes in unpadded base64url (36 characters, all SIP token characters,
/// so never a `"` or `\`): a 1-byte key id, the issue time (UInt64 seconds since the Unix
/// epoch, big-endian) and an HMAC-SHA256, truncated to 144 bits, over the key id, the
/// issue time, the realm, the Call-ID and the source IP address (not the port: a client
/// behind a NAT may answer from another port). A nonce presented with another realm,
/// Call-ID or source address therefore fails, and a captured nonce cannot be replayed for
/// another call.
///
/// Admission is pure: the caller passes the time in. Rounding it with
/// ``issueTime(now:step:)`` gives a retransmitted INVITE the same nonce, and so a
/// byte-identical 407. The key id lets keys rotate: mint with the newest, verify with any
/// the lookup still returns.
public enum DigestNonce {
    /// The length of every nonce, in characters.
    public static let encodedLength = 36

    /// Bytes of the MAC kept in a nonce.
    static let macLength = 18
    /// Bytes of a decoded nonce: key id, issue time, MAC.
    static let byteLength = 1 + 8 + macLength
    /// Separates these MACs from any other use of the same key.
    private static let label = Array("sipfence digest nonce 1".utf8)

    /// `now` rounded down to a multiple of `step` seconds (`now` itself when `step` is 0):
    /// the issue time to mint with, so that every retransmission within one step gets the
    /// same nonce.
    public static func issueTime(now: UInt64, step: UInt64) -> UInt64 {
        step == 0 ? now : now - now % step
    }

    /// A nonce issued at `issued` (seconds since the Unix epoch) for a request of Call-ID
    /// `callID` in `realm` from `source`, under key `key` named `keyID`.
    ///
    /// The same inputs always give the same nonce.
    public static func mint(
        keyID: UInt8,
        key: SymmetricKey,
        issued: UInt64,
        realm: String,
        callID: String,
        source: IPAddress
    ) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(byteLength)
        bytes.append(keyID)
        bytes.appendBigEndian(issued)
        bytes += mac(keyID: keyID, key: key, issued: issued, realm: realm, callID: callID, source: source)
        return Base64URL.encode(bytes)
    }

    /// Checks a nonce from a client's credentials against the request it came with.
    ///
    /// The MAC is checked before the time, so ``DigestNonceCheck/stale`` is only ever said
    /// of nonces sipfence really issued for this realm, Call-ID and source.
    ///
    /// - Parameters:
    ///   - nonce: the `nonce=` of the credentials, unquoted. Any string is safe to pass.
    ///   - now: the current time, seconds since the Unix epoch.
    ///   - lifetime: how many seconds after its issue time a nonce stays valid (a nonce is
    ///     stale once `now - issued >= lifetime`).
    ///   - maximumSkew: how many seconds in the future an issue time may lie — clocks of
    ///     instances sharing keys differ a little — before the nonce is refused.
    ///   - keys: the key for a key id, or `nil` for an unknown one.
    ///   - realm: the realm the credentials are checked for.
    ///   - callID: the request's Call-ID.
    ///   - source: the request's source address (IPv4-mapped IPv6 counts as IPv4).
    public static func verify(
        _ nonce: some StringProtocol,
        now: UInt64,
        lifetime: UInt64,
        maximumSkew: UInt64 = 5,
        keys: (UInt8) -> SymmetricKey?,
        realm: String,
        callID: String,
        source: IPAddress
    ) -> DigestNonceCheck {
        guard nonce.utf8.count == encodedLength, let bytes = Base64URL.decode(nonce), bytes.count == byteLength else {
            return .invalid(.malformed)
        }
        let keyID = bytes[0]
        let issued = bytes[1...8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard let key = keys(keyID) else { return .invalid(.unknownKey) }
        let expected = mac(keyID: keyID, key: key, issued: issued, realm: realm, callID: callID, source: source)
        guard bytes[9...].equalsInConstantTime(expected) else { return .invalid(.badMAC) }
        if issued > now {
            return issued - now > maximumSkew ? .invalid(.issuedInFuture) : .valid
        }
        return now - issued >= lifetime ? .stale : .valid
    }

    /// The truncated HMAC-SHA256 binding a nonce to its request. Variable-length fields
    /// are length-prefixed, so no two inputs run together into the same message.
    private static func mac(
        keyID: UInt8,
        key: SymmetricKey,
        issued: UInt64,
        realm: String,
        callID: String,
        source: IPAddress
    ) -> [UInt8] {
        var message: [UInt8] = []
        message.reserveCapacity(label.count + 1 + 8 + 12 + realm.utf8.count + callID.utf8.count + 16)
        message += label
        message.append(keyID)
        message.appendBigEndian(issued)
        for field in [Array(realm.utf8), Array(callID.utf8), source.canonical.networkBytes] {
            message.appendLengthPrefixed(field)
        }
        return Array(HMAC<SHA256>.authenticationCode(for: message, using: key).prefix(macLength))
    }
}
