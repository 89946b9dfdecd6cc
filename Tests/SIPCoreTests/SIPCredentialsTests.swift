import TestSupport
import Testing

@testable import SIPCore

@Suite("SIP credentials")
struct SIPCredentialsTests {
    /// RFC 3261 §22.4-style credentials, as a SIP UA sends them (Call-ID and all elided).
    static let digest = """
        Digest username="alice", realm="example.com", nonce="ea9c8e88df84f1cec4341ae6cbe5a359", \
        uri="sip:bob@example.com", response="dfe56131d1958046689d83306477ecc", \
        algorithm=MD5, cnonce="0a4f113b", qop=auth, nc=00000001, opaque=""
        """

    func parse(_ text: String) throws(SIPCredentialsError) -> SIPCredentials {
        try SIPCredentials(parsing: text)
    }

    func error(_ text: String) -> SIPCredentialsError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test("Digest credentials parse into their parameters")
    func digest() throws {
        let credentials = try #require(try parse(Self.digest).digest)
        #expect(
            credentials
                == SIPDigestCredentials(
                    username: "alice", realm: "example.com", nonce: "ea9c8e88df84f1cec4341ae6cbe5a359",
                    uri: "sip:bob@example.com", response: "dfe56131d1958046689d83306477ecc", algorithm: "MD5",
                    cnonce: "0a4f113b", qop: "auth", nc: "00000001", opaque: ""))
        #expect(credentials.nonceCount == 1)
    }

    @Test(
        "scheme and names compare without regard to case; whitespace and folds around = and , are allowed",
        arguments: [
            #"dIgEsT USERNAME="alice",Realm="example.com",NONCE="n",Uri="sip:b@example.com",RESPONSE="r""#,
            "Digest   username = \"alice\" ,\trealm=\t\"example.com\"\r\n  , nonce=\"n\",\r\n uri=\"sip:b@example.com\", response=\"r\"",
            #"  Digest username="alice", realm="example.com", nonce=n, uri="sip:b@example.com", response=r  "#,
            // Unknown parameters are ignored, whatever their values hold.
            #"Digest username="alice", realm="example.com", x-extra="a, b=c", nonce="n", uri="sip:b@example.com", response="r", y=z"#,
        ])
    func lenientSpacing(text: String) throws {
        let credentials = try #require(try parse(text).digest)
        #expect(credentials.username == "alice" && credentials.realm == "example.com")
        #expect(credentials.nonce == "n" && credentials.uri == "sip:b@example.com" && credentials.response == "r")
        #expect(credentials.qop == nil && credentials.nc == nil && credentials.algorithm == nil)
    }

    @Test("quoted strings lose their quotes and backslash escapes; commas inside them do not split")
    func quotedStrings() throws {
        let text = #"Digest username="al\"ice\\", realm="a, b=\"c\"", nonce="n", uri="sip:b@example.com;x=\,", response="r""#
        let credentials = try #require(try parse(text).digest)
        #expect(credentials.username == #"al"ice\"#)
        #expect(credentials.realm == #"a, b="c""#)
        #expect(credentials.uri == "sip:b@example.com;x=,")
    }

    @Test("other schemes are recognised and skipped")
    func otherSchemes() throws {
        #expect(try parse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==") == .other(scheme: "Basic"))
        #expect(try parse(#"Bearer realm="x", garbage ,,, ""#) == .other(scheme: "Bearer"))
        #expect(try parse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==").digest == nil)
    }

    static let valid = #"Digest username="a", realm="r", nonce="n", uri="sip:b@example.com", response="x""#

    /// Values and the error each must give.
    static let malformedValues: [(String, SIPCredentialsError)] = [
        ("", SIPCredentialsError.empty),
        ("  \r\n ", .empty),
        (#""Digest" username="a""#, .missingScheme),
        ("Digest", .missingParameters),
        ("Digest   ", .missingParameters),
        (#"Digest,username="a""#, .expectedParameterName(offset: 6)),
        (#"Digest username="a",, realm="r""#, .expectedParameterName(offset: 20)),
        (#"Digest username="a","#, .expectedParameterName(offset: 20)),
        (#"Digest username"a""#, .expectedEquals(parameter: "username")),
        (#"Digest username"#, .expectedEquals(parameter: "username")),
        (#"Digest username=, realm="r""#, .expectedValue(parameter: "username")),
        (#"Digest username="#, .expectedValue(parameter: "username")),
        (#"Digest username="a, realm="r""#, .expectedComma(after: "username")),
        (#"Digest username="a"#, .unterminatedQuotedString(parameter: "username")),
        (#"Digest username="a\"#, .unterminatedQuotedString(parameter: "username")),
        ("Digest username=\"a\u{1}\"", .invalidCharacter(parameter: "username")),
        (#"Digest username="a" realm="r""#, .expectedComma(after: "username")),
        (#"Digest username="a", realm="r", UserName="b""#, .repeatedParameter("UserName")),
        (#"Digest x=1, X=2"#, .repeatedParameter("X")),
        (#"Digest realm="r", nonce="n", uri="u", response="x""#, .missingParameter("username")),
        (#"Digest username="a", nonce="n", uri="u", response="x""#, .missingParameter("realm")),
        (#"Digest username="a", realm="r", uri="u", response="x""#, .missingParameter("nonce")),
        (#"Digest username="a", realm="r", nonce="n", response="x""#, .missingParameter("uri")),
        (#"Digest username="a", realm="r", nonce="n", uri="u""#, .missingParameter("response")),
        (valid + ", qop=auth, cnonce=\"c\"", .missingParameter("nc")),
        (valid + ", qop=auth, nc=00000001", .missingParameter("cnonce")),
        (valid + ", qop=auth, cnonce=\"c\", nc=0000001", .invalidNonceCount("0000001")),
        (valid + ", qop=auth, cnonce=\"c\", nc=000000001", .invalidNonceCount("000000001")),
        (valid + ", qop=auth, cnonce=\"c\", nc=0000000g", .invalidNonceCount("0000000g")),
        (valid + ", qop=auth, cnonce=\"c\", nc=\"+0000001\"", .invalidNonceCount("+0000001")),
    ]

    @Test("malformed credentials are refused with the reason", arguments: malformedValues)
    func malformed(text: String, expected: SIPCredentialsError) {
        #expect(error(text) == expected)
    }

    @Test("nc is kept as written; upper-case hex is accepted")
    func nonceCount() throws {
        let credentials = try #require(try parse(Self.valid + ", qop=auth, cnonce=\"c\", nc=0000001A").digest)
        #expect(credentials.nc == "0000001A" && credentials.nonceCount == 26)
    }

    @Test("errors echo at most a prefix of what the client sent")
    func echoLimit() {
        let long = String(repeating: "x", count: 5000)
        #expect(error("Digest \(long)=1, \(long)=2") == .repeatedParameter(String(repeating: "x", count: SIPCredentialsError.echoLimit)))
        #expect(error("Digest \(long)") == .expectedEquals(parameter: String(repeating: "x", count: SIPCredentialsError.echoLimit)))
        #expect(SIPCredentialsError.missingParameter("uri").description == "Digest credentials without uri")
        #expect(SIPCredentialsError.missingParameter("uri").reason == "missing_parameter")
    }

    @Test("arbitrary bytes never crash the parser")
    func garbage() {
        var generator = SplitMix64(seed: 7)
        let pieces = ["Digest ", "username", "=", "\"", "\\", ",", " ", "\r\n ", "nc", "00000001", "qop", "auth", "\u{0}", "é", "realm"]
        for _ in 0..<2000 {
            var text = ""
            for _ in 0..<Int(generator.next() % 12) { text += pieces[Int(generator.next() % UInt64(pieces.count))] }
            _ = try? SIPCredentials(parsing: text)
        }
    }
}
