import AccessControl
import Crypto
import SIPCore

/// The signed parameter sipfence puts in its Record-Route (and Path) URI: it ties the
/// dialog to the caller's flow, so that in-dialog admission cannot be forged and requests
/// from the upstream find their way back to the caller without any state in sipfence.
///
/// A token holds a key id, its issue time, the flow (``SIPFlow``: transport, sipfence's
/// socket, the caller's address and port) and a MAC — HMAC-SHA256 with the keyring's
/// dialog-token key, truncated to 144 bits — over all of those plus the Call-ID and the
/// dialog initiator's tag (the From-tag of the request that created the dialog). It is
/// unpadded base64url (RFC 4648 §5): 48 characters for IPv4 on both ends, 80 for IPv6 on
/// both; every character is a SIP token character, so it needs no escaping in a URI
/// parameter.
///
/// A token is **valid for a request** when its MAC checks under a key sipfence accepts,
/// it is younger than the maximum age, and the request's From-tag or To-tag equals the
/// initiator's tag (requests in both directions of the dialog carry it); an in-dialog
/// request from the callers' side must also come from the flow's address. Nobody without
/// the secret can make one, and one made for another dialog or flow does not verify.
/// Every node sharing the secret accepts it, and it survives a restart.
public struct DialogToken: Hashable, Sendable {
    /// The URI parameter that carries a token: `;sft=…`.
    public static let parameterName = "sft"

    /// The key id of the keyring that signed it.
    public let keyID: UInt8
    /// When it was issued, seconds since the Unix epoch.
    public let issued: UInt32
    /// The caller's flow.
    public let flow: SIPFlow
    let mac: [UInt8]

    /// Bytes of the MAC kept in a token (144 bits).
    static let macLength = 18
    /// Separates these MACs from any other use of the key.
    private static let label = Array("sipfence dialog token 1".utf8)

    /// The issue time to mint with at `now` (seconds since the Unix epoch): `now` rounded
    /// down to a step of 1/24 of `maximumAge` (at least a second, at most an hour).
    ///
    /// A retransmitted request then gets the same token and is forwarded with the same
    /// bytes — which next hops such as sipp need to recognise a retransmission — unless a
    /// step boundary falls between the two. The price: a token may expire up to one step
    /// (about 4 % of its age) early.
    public static func issueTime(now: UInt64, maximumAge: UInt64) -> UInt64 {
        let step = min(3_600, max(1, maximumAge / 24))
        return now - now % step
    }

    /// A token for the dialog of Call-ID `callID` created by a request with From-tag
    /// `initiatorTag`, through `flow`, issued at `now` (seconds since the Unix epoch),
    /// signed with `keyring`'s dialog-token key. The same inputs always give the same text.
    public static func mint(
        flow: SIPFlow, callID: String, initiatorTag: String, now: UInt64, keyring: SIPKeyring
    ) -> String {
        var bytes = header(keyID: keyring.keyID, issued: UInt32(clamping: now), flow: flow)
        bytes += mac(bytes, callID: callID, initiatorTag: initiatorTag, keyed: keyring.dialogTokenMAC)
        return Base64URL.encode(bytes)
    }

    /// Reads a token and checks its MAC.
    ///
    /// - Parameters:
    ///   - text: the parameter's value. Any string is safe to pass.
    ///   - callID: the request's Call-ID.
    ///   - tags: the request's From-tag and To-tag; the token verifies when it was made
    ///     with either as the initiator's tag.
    ///   - keys: the keyring for a key id, or `nil` for a key no longer (or never) accepted.
    /// - Throws: ``DialogTokenError`` saying why the text is not a token of this dialog.
    public init(
        verifying text: some StringProtocol, callID: String, tags: [String], keys: (UInt8) -> SIPKeyring?
    ) throws(DialogTokenError) {
        guard let bytes = Base64URL.decode(text), bytes.count > 6 + Self.macLength else { throw .malformed }
        let flags = bytes[1]
        let localLength = flags & 0b0100 != 0 ? 16 : 4
        let remoteLength = flags & 0b1000 != 0 ? 16 : 4
        let signedLength = 6 + localLength + 2 + remoteLength + 2
        guard bytes.count == signedLength + Self.macLength, flags & 0b1111_0000 == 0,
            let transport = Self.transports[Int(flags & 0b11)],
            let local = IPAddress(networkBytes: bytes[6..<(6 + localLength)]),
            let remote = IPAddress(networkBytes: bytes[(8 + localLength)..<(8 + localLength + remoteLength)])
        else { throw .malformed }
        guard let keyring = keys(bytes[0]) else { throw .unknownKey }
        let signed = Array(bytes[..<signedLength])
        let presented = bytes[signedLength...]
        let verified = tags.contains { tag in
            presented.equalsInConstantTime(Self.mac(signed, callID: callID, initiatorTag: tag, keyed: keyring.dialogTokenMAC))
        }
        guard verified else { throw .badMAC }
        func port(at offset: Int) -> Int { Int(bytes[offset]) << 8 | Int(bytes[offset + 1]) }
        self.keyID = bytes[0]
        self.issued = bytes[2..<6].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        self.flow = SIPFlow(
            transport: transport,
            local: SIPEndpoint(transport: transport, address: local, port: port(at: 6 + localLength)),
            remoteAddress: remote,
            remotePort: port(at: 8 + localLength + remoteLength))
        self.mac = Array(presented)
    }

    /// Whether the token is too old (or from too far in the future) at `now`, seconds
    /// since the Unix epoch, for tokens valid `maximumAge` seconds; issue times up to 60
    /// seconds ahead are accepted, as clocks of nodes sharing the secret differ a little.
    public func hasExpired(at now: UInt64, maximumAge: UInt64) -> Bool {
        let issued = UInt64(issued)
        if issued > now { return issued - now > 60 }
        return now - issued > maximumAge
    }

    // MARK: Encoding

    /// Transports by their 2-bit code.
    private static let transports: [SIPTransport?] = [.udp, .tcp, .tls, nil]

    /// Key id, flags (transport in bits 0–1, IPv6 local in bit 2, IPv6 remote in bit 3),
    /// issue time, local address and port, remote address and port; big-endian.
    private static func header(keyID: UInt8, issued: UInt32, flow: SIPFlow) -> [UInt8] {
        let local = flow.local.address.canonical
        let remote = flow.remoteAddress.canonical
        let transportCode = UInt8(transports.firstIndex(of: flow.transport) ?? 0)
        var bytes: [UInt8] = [keyID, transportCode | (local.family == .ipv6 ? 0b0100 : 0) | (remote.family == .ipv6 ? 0b1000 : 0)]
        bytes.reserveCapacity(6 + 36 + macLength)
        bytes.appendBigEndian(issued)
        bytes += local.networkBytes
        bytes.appendBigEndian(UInt16(truncatingIfNeeded: flow.local.port))
        bytes += remote.networkBytes
        bytes.appendBigEndian(UInt16(truncatingIfNeeded: flow.remotePort))
        return bytes
    }

    /// The truncated HMAC over the signed bytes, the Call-ID and the initiator's tag
    /// (length-prefixed, so no two inputs run together).
    private static func mac(_ signed: [UInt8], callID: String, initiatorTag: String, keyed hmac: HMAC<SHA256>) -> [UInt8] {
        var message = label + signed
        message.appendLengthPrefixed(Array(callID.utf8))
        message.appendLengthPrefixed(Array(initiatorTag.utf8))
        var hmac = hmac
        hmac.update(data: message)
        return Array(hmac.finalize().prefix(macLength))
    }
}

/// Why a text is not a valid dialog token for a request.
public enum DialogTokenError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Not the encoding of a token.
    case malformed
    /// Signed by a key sipfence does not accept (any more).
    case unknownKey
    /// The MAC does not check: forged, altered, or made for another dialog.
    case badMAC

    public var description: String {
        switch self {
        case .malformed: "not a dialog token"
        case .unknownKey: "signed by a key that is not accepted"
        case .badMAC: "the MAC does not match this dialog"
        }
    }
}
