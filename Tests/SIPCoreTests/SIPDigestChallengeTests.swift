import Testing

@testable import SIPCore

@Suite("SIP digest challenges")
struct SIPDigestChallengeTests {
    static let invite = """
        INVITE sip:bob@example.com SIP/2.0
        Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK776asdhds;rport
        Max-Forwards: 70
        To: <sip:bob@example.com>
        From: "Alice" <sip:alice@example.net>;tag=1928301774
        Call-ID: a84b4c76e66710@pc33.example.net
        CSeq: 314159 INVITE
        Contact: <sip:alice@192.0.2.10:5062>
        Content-Length: 0


        """

    func message(_ text: String) throws -> SIPMessage {
        try SIPMessage(parsing: Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8), framing: .datagram)
    }

    @Test(
        "a challenge renders realm, nonce, algorithm and qop, then opaque and stale",
        arguments: [
            (
                SIPDigestChallenge(realm: "example.com", nonce: "abc", algorithm: "MD5"),
                #"Digest realm="example.com", nonce="abc", algorithm=MD5, qop="auth""#
            ),
            (
                SIPDigestChallenge(realm: "example.com", nonce: "abc", algorithm: "SHA-256", opaque: "o1", stale: true),
                #"Digest realm="example.com", nonce="abc", algorithm=SHA-256, qop="auth", opaque="o1", stale=true"#
            ),
            (
                SIPDigestChallenge(realm: #"a"b\c"#, nonce: "n\r\nX-Injected: 1", algorithm: "MD5\r\nX: y"),
                #"Digest realm="a\"b\\c", nonce="n??X-Injected: 1", algorithm=MD5??X??y, qop="auth""#
            ),
        ])
    func rendering(challenge: SIPDigestChallenge, expected: String) {
        #expect(challenge.headerValue == expected)
    }

    @Test("a rendered challenge's realm and nonce read back through the credentials grammar")
    func roundTrip() throws {
        let challenge = SIPDigestChallenge(realm: #"odd "realm", with \ and ,"#, nonce: "n", algorithm: "MD5")
        // Credentials share the quoted-string rules with challenges.
        let value = challenge.headerValue.replacingOccurrences(of: ", algorithm=MD5, qop=\"auth\"", with: "")
            + #", username="u", uri="sip:x", response="r""#
        let credentials = try #require(try SIPCredentials(parsing: value).digest)
        #expect(credentials.realm == challenge.realm && credentials.nonce == "n")
    }

    @Test("one challenge per algorithm, in order")
    func perAlgorithm() {
        let challenges = SIPDigestChallenge.challenges(realm: "r", nonce: "n", algorithms: ["SHA-256", "MD5"], stale: true)
        #expect(challenges.map(\.algorithm) == ["SHA-256", "MD5"])
        #expect(challenges.allSatisfy { $0.realm == "r" && $0.nonce == "n" && $0.stale && $0.opaque == nil })
    }

    @Test("the 407 is the stateless 403 with another status and the challenges after CSeq")
    func proxyAuthenticationRequired() throws {
        let request = try message(Self.invite)
        let secret = SIPStatelessSecret(1, 2)
        let via = request.topVia.stamped(sourceHost: "203.0.113.9", sourcePort: 5062, sentByIsSource: false)
        let challenges = SIPDigestChallenge.challenges(realm: "example.com", nonce: "N1", algorithms: ["SHA-256", "MD5"])
        let bytes = request.proxyAuthenticationRequired(challenges, receivedVia: via, secret: secret)
        let forbidden = String(decoding: request.response(.forbidden, receivedVia: via, secret: secret), as: UTF8.self)
        let tag = try #require(try SIPMessage(parsing: bytes, framing: .datagram).toTag)
        #expect(
            String(decoding: bytes, as: UTF8.self) == """
                SIP/2.0 407 Proxy Authentication Required\r
                Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK776asdhds;rport=5062;received=203.0.113.9\r
                From: "Alice" <sip:alice@example.net>;tag=1928301774\r
                To: <sip:bob@example.com>;tag=\(tag)\r
                Call-ID: a84b4c76e66710@pc33.example.net\r
                CSeq: 314159 INVITE\r
                Proxy-Authenticate: Digest realm="example.com", nonce="N1", algorithm=SHA-256, qop="auth"\r
                Proxy-Authenticate: Digest realm="example.com", nonce="N1", algorithm=MD5, qop="auth"\r
                Content-Length: 0\r
                \r

                """)
        #expect(forbidden.contains("\r\nTo: <sip:bob@example.com>;tag=\(tag)\r\n"), "the To-tag of the 403, derived the same way")
        #expect(request.proxyAuthenticationRequired(challenges, receivedVia: via, secret: secret) == bytes, "retransmissions get the same bytes")

        // The 407 parses, carries its challenges as fields, and its ACK is recognised as ours.
        let response = try SIPMessage(parsing: bytes, framing: .datagram)
        #expect(response.statusCode == 407)
        #expect(response.fields(.proxyAuthenticate).map(response.value(of:)) == challenges.map(\.headerValue))
        let ack = try message(
            Self.invite.replacingOccurrences(of: "INVITE sip", with: "ACK sip").replacingOccurrences(of: "314159 INVITE", with: "314159 ACK")
                .replacingOccurrences(of: "To: <sip:bob@example.com>", with: "To: <sip:bob@example.com>;tag=\(tag)"))
        #expect(ack.isAcknowledgingLocalResponse(secret: secret))
    }
}
