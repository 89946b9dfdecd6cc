import Testing

@testable import SIPCore

@Suite("SIPMessage credentials")
struct SIPMessageCredentialsTests {
    static let ours = #"Digest username="alice", realm="example.com", nonce="n1", uri="sip:bob@example.com", response="0123456789abcdef0123456789abcdef", algorithm=MD5, qop=auth, nc=00000001, cnonce="c1""#
    static let theirs = #"Digest username="alice", realm="carrier.example.net", nonce="n2", uri="sip:bob@example.com", response="fedcba9876543210fedcba9876543210""#

    /// An INVITE with credentials for two realms, another scheme and a broken value; the
    /// second one folded over two lines and in the long/short spelling variations.
    static let invite = """
        INVITE sip:bob@example.com SIP/2.0
        Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK776asdhds;rport
        Max-Forwards: 70
        To: <sip:bob@example.com>
        From: "Alice" <sip:alice@example.net>;tag=1928301774
        Call-ID: a84b4c76e66710@pc33.example.net
        CSeq: 314159 INVITE
        Proxy-Authorization: \(theirs)
        proxy-authorization: Digest username="alice", realm="example.com", nonce="n1",
         uri="sip:bob@example.com", response="0123456789abcdef0123456789abcdef", algorithm=MD5,
         qop=auth, nc=00000001, cnonce="c1"
        Authorization: Digest username="alice", realm="example.com", nonce="n3", uri="sip:bob@example.com", response="00"
        Proxy-Authorization: Basic YWxpY2U6c2VjcmV0
        Proxy-Authorization: Digest username="alice", realm=
        Contact: <sip:alice@192.0.2.10:5062>
        Content-Length: 0


        """

    func message(_ text: String) throws -> SIPMessage {
        try SIPMessage(parsing: Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8), framing: .datagram)
    }

    @Test("every Proxy-Authorization field is one credential, never split at its commas")
    func values() throws {
        let request = try message(Self.invite)
        #expect(request.proxyAuthorizationValues.count == 4)
        #expect(request.proxyAuthorizationValues.first == Self.theirs)
        let parsed = request.proxyAuthorizations
        #expect(parsed.count == 4)
        #expect(try parsed[0].get().digest?.realm == "carrier.example.net")
        let folded = try #require(try parsed[1].get().digest)
        let expected = try #require(try SIPCredentials(parsing: Self.ours).digest)
        #expect(folded == expected, "a value folded over lines reads the same")
        #expect(try parsed[2].get() == .other(scheme: "Basic"))
        #expect(throws: SIPCredentialsError.expectedValue(parameter: "realm")) { try parsed[3].get() }
        #expect(request.authorizations.count == 1)
        #expect(try request.authorizations[0].get().digest?.nonce == "n3")
    }

    @Test("credentials for one realm are found by exact realm")
    func byRealm() throws {
        let request = try message(Self.invite)
        #expect(request.proxyDigestCredentials(forRealm: "example.com").map(\.nonce) == ["n1"])
        #expect(request.proxyDigestCredentials(forRealm: "carrier.example.net").map(\.nonce) == ["n2"])
        #expect(request.proxyDigestCredentials(forRealm: "EXAMPLE.COM").isEmpty)
        #expect(request.proxyDigestCredentials(forRealm: "elsewhere").isEmpty)
    }

    @Test("a request without credentials has none")
    func none() throws {
        let plain = Self.invite.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.contains("uthorization") && !$0.hasPrefix(" ") }.joined(separator: "\n")
        let request = try message(plain)
        #expect(request.fields(.contact).count == 1)
        #expect(request.proxyAuthorizationValues.isEmpty && request.proxyAuthorizations.isEmpty)
        #expect(request.proxyDigestCredentials(forRealm: "example.com").isEmpty)
    }

    @Test("a strict-route rewrite leaves a Route URI's headers out of the Request-URI (RFC 3261 §19.1.1)")
    func strictRouteDropsURIHeaders() throws {
        // Found by AdmissionDatagramFuzz (CI, issue 11): the last Route URI carried a headers
        // component (`?ansport=…`), and the BYE forwarded with it as Request-URI did not parse.
        let request = try message(
            "BYE sip:10.0.0.1:5060;lr SIP/2.0\nVia: SIP/2.0/TCP 10.0.0.2:5060;branch=z9hG4bKkam2\n"
                + "Route: <sip:203.0.113.1:5060;t?ansport=tcp;lr>\nFrom: <sip:x@y>;tag=1\nTo: <sip:a@b>;tag=2\n"
                + "Call-ID: 1\nCSeq: 1 BYE\nContent-Length: 0\n\n")
        let proxyVia = SIPVia(
            transport: "UDP", host: "127.0.0.1", port: 5060, parameters: [SIPParameter(name: "branch", value: "z9hG4bKsf0")])
        let forwarded = try SIPMessage(
            parsing: request.forwarded(proxyVia: proxyVia, receivedVia: request.topVia, strictRouting: true), framing: .datagram)
        guard case .request(_, let uri) = forwarded.startLine else {
            Issue.record("not a request")
            return
        }
        #expect(uri.text == "sip:203.0.113.1:5060;t")
        #expect(uri.headers.isEmpty)
    }

    @Test("forwarding removes our realm's Proxy-Authorization and keeps every other byte")
    func forwarding() throws {
        let request = try message(Self.invite)
        let proxyVia = SIPVia(
            transport: "UDP", host: "127.0.0.1", port: 5060,
            parameters: [SIPParameter(name: "branch", value: "z9hG4bKsf0"), SIPParameter(name: "rport")])
        let forwarded = request.forwarded(
            proxyVia: proxyVia, receivedVia: request.topVia, removingProxyAuthorizationFor: "example.com")
        let expected = """
            INVITE sip:bob@example.com SIP/2.0\r
            Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKsf0;rport\r
            Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK776asdhds;rport\r
            Max-Forwards: 69\r
            To: <sip:bob@example.com>\r
            From: "Alice" <sip:alice@example.net>;tag=1928301774\r
            Call-ID: a84b4c76e66710@pc33.example.net\r
            CSeq: 314159 INVITE\r
            Proxy-Authorization: \(Self.theirs)\r
            Authorization: Digest username="alice", realm="example.com", nonce="n3", uri="sip:bob@example.com", response="00"\r
            Proxy-Authorization: Basic YWxpY2U6c2VjcmV0\r
            Proxy-Authorization: Digest username="alice", realm=\r
            Contact: <sip:alice@192.0.2.10:5062>\r
            Content-Length: 0\r
            \r

            """
        #expect(String(decoding: forwarded, as: UTF8.self) == expected)

        // Without the option, or for a realm nobody answered, every field stays.
        let untouched = request.forwarded(proxyVia: proxyVia, receivedVia: request.topVia)
        #expect(request.forwarded(proxyVia: proxyVia, receivedVia: request.topVia, removingProxyAuthorizationFor: "other") == untouched)
        let all = try SIPMessage(parsing: untouched, framing: .datagram)
        #expect(all.proxyAuthorizationValues == request.proxyAuthorizationValues)
        #expect(try SIPMessage(parsing: forwarded, framing: .datagram).proxyAuthorizationValues.count == 3)
    }
}
