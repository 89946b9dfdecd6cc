import AccessControl
import Admission
import Crypto
import Testing

@Suite("Digest nonce")
struct DigestNonceTests {
    static let key = SymmetricKey(data: Array(0..<32) as [UInt8])
    static let nextKey = SymmetricKey(data: Array(repeating: 0xA5, count: 32) as [UInt8])
    static let realm = "example.com"
    static let callID = "a84b4c76e66710@pc33.example.net"
    static let source = try! IPAddress("192.0.2.10")
    static let issued: UInt64 = 1_700_000_000
    static let lifetime: UInt64 = 300

    static func mint(
        keyID: UInt8 = 1, key: SymmetricKey = key, issued: UInt64 = issued, realm: String = realm, callID: String = callID,
        source: IPAddress = source
    ) -> String {
        DigestNonce.mint(keyID: keyID, key: key, issued: issued, realm: realm, callID: callID, source: source)
    }

    static func verify(
        _ nonce: String, now: UInt64 = issued + 10, keys: [UInt8: SymmetricKey] = [1: key], realm: String = realm,
        callID: String = callID, source: IPAddress = source
    ) -> DigestNonceCheck {
        DigestNonce.verify(
            nonce, now: now, lifetime: lifetime, keys: { keys[$0] }, realm: realm, callID: callID, source: source)
    }

    @Test("a minted nonce verifies, is deterministic, and is 36 token characters")
    func roundTrip() {
        let nonce = Self.mint()
        #expect(Self.verify(nonce) == .valid)
        #expect(Self.verify(nonce, now: Self.issued) == .valid)
        #expect(Self.mint() == nonce)
        #expect(nonce.utf8.count == DigestNonce.encodedLength)
        #expect(nonce.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        #expect(Self.mint(issued: Self.issued + 1) != nonce)
        #expect(Self.mint(keyID: 2) != nonce)
    }

    @Test("once its lifetime is over a nonce is stale, not invalid")
    func expiry() {
        let nonce = Self.mint()
        #expect(Self.verify(nonce, now: Self.issued + Self.lifetime - 1) == .valid)
        #expect(Self.verify(nonce, now: Self.issued + Self.lifetime) == .stale)
        #expect(Self.verify(nonce, now: .max) == .stale)
    }

    @Test("an issue time in the future is tolerated within the skew, refused beyond it")
    func future() {
        let nonce = Self.mint()
        #expect(Self.verify(nonce, now: Self.issued - 5) == .valid)
        #expect(Self.verify(nonce, now: Self.issued - 6) == .invalid(.issuedInFuture))
        #expect(Self.verify(Self.mint(issued: .max), now: 0) == .invalid(.issuedInFuture))
    }

    @Test("changing any character makes the nonce invalid")
    func tampering() {
        let nonce = Array(Self.mint().utf8)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        for index in nonce.indices {
            for replacement in [alphabet[(alphabet.firstIndex(of: nonce[index]) ?? 0) ^ 1], alphabet[(alphabet.firstIndex(of: nonce[index]) ?? 0) ^ 32]] {
                var tampered = nonce
                tampered[index] = replacement
                let check = Self.verify(String(decoding: tampered, as: UTF8.self))
                // The first two characters hold the key id: an unknown key is refused as such.
                #expect(check == .invalid(.badMAC) || check == .invalid(.unknownKey), "character \(index)")
            }
        }
    }

    @Test("the nonce is bound to realm, Call-ID and source address, but not to the port")
    func binding() throws {
        let nonce = Self.mint()
        #expect(Self.verify(nonce, source: try IPAddress("192.0.2.11")) == .invalid(.badMAC))
        #expect(Self.verify(nonce, callID: Self.callID + "x") == .invalid(.badMAC))
        #expect(Self.verify(nonce, realm: "example.org") == .invalid(.badMAC))
        #expect(Self.verify(nonce, realm: "EXAMPLE.COM") == .invalid(.badMAC))
        // The port is no input at all; the IPv4-mapped form of the address is the address.
        #expect(Self.verify(nonce, source: try IPAddress("::ffff:192.0.2.10")) == .valid)
        // Realm and Call-ID cannot trade bytes with each other.
        let split = Self.mint(realm: "ab", callID: "c")
        #expect(Self.verify(split, realm: "a", callID: "bc") == .invalid(.badMAC))
        let v6 = try IPAddress("2001:db8::1")
        #expect(Self.verify(Self.mint(source: v6), source: v6) == .valid)
        #expect(Self.verify(Self.mint(source: v6), source: try IPAddress("2001:db8::2")) == .invalid(.badMAC))
    }

    @Test("keys rotate: an unknown key id is refused, a second key is accepted when looked up")
    func rotation() {
        let old = Self.mint(keyID: 1, key: Self.key)
        let new = Self.mint(keyID: 2, key: Self.nextKey)
        #expect(Self.verify(new) == .invalid(.unknownKey))
        let both: [UInt8: SymmetricKey] = [1: Self.key, 2: Self.nextKey]
        #expect(Self.verify(old, keys: both) == .valid)
        #expect(Self.verify(new, keys: both) == .valid)
        #expect(Self.verify(old, keys: [2: Self.nextKey]) == .invalid(.unknownKey))
        // The key id is covered by the MAC: the right key under another id fails.
        #expect(Self.verify(old, keys: [1: Self.nextKey]) == .invalid(.badMAC))
    }

    @Test(
        "malformed nonces are refused without crashing",
        arguments: [
            "", "A", "====", String(repeating: "A", count: 35), String(repeating: "A", count: 37),
            String(repeating: "A", count: 34) + "==", String(repeating: "A", count: 35) + "=",
            String(repeating: "A", count: 35) + "+", String(repeating: "/", count: 36), String(repeating: "é", count: 18),
            String(repeating: "A", count: 35) + "\u{0}", String(repeating: "x", count: 1 << 20),
            "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
        ])
    func malformed(nonce: String) {
        #expect(Self.verify(nonce) == .invalid(.malformed))
    }

    @Test("36 characters of valid base64url that we did not mint are refused by the MAC")
    func forged() {
        #expect(Self.verify(String(repeating: "A", count: 35) + "B", keys: [0: Self.key]) == .invalid(.badMAC))
        #expect(Self.verify(String(repeating: "_", count: 36), keys: [0xFF: Self.key]) == .invalid(.badMAC))
    }

    @Test("issue times round down to the step, so retransmissions share a nonce", arguments: [(1_700_000_029, 30, 1_700_000_010), (59, 60, 0), (60, 60, 60), (7, 0, 7)] as [(UInt64, UInt64, UInt64)])
    func timeStep(now: UInt64, step: UInt64, rounded: UInt64) {
        #expect(DigestNonce.issueTime(now: now, step: step) == rounded)
    }

    @Test("the check's reasons have stable labels")
    func labels() {
        #expect(DigestNonceCheck.Reason.badMAC.description == "bad_mac")
        #expect(DigestNonceCheck.Reason.issuedInFuture.description == "issued_in_future")
    }
}
