import Testing

@testable import AccessControl

@Suite("Digest request-digest")
struct DigestResponseTests {
    /// A worked example of an RFC: the inputs of the credentials and the response the
    /// RFC prints.
    struct Example: Sendable, CustomTestStringConvertible {
        let name: String
        let algorithm: DigestAlgorithm
        let username: String
        let realm: String
        let password: String
        let method: String
        let uri: String
        let nonce: String
        let nc: String
        let cnonce: String
        let response: String

        var testDescription: String { name }
    }

    static let examples = [
        // RFC 2617 §3.5: "Circle Of Life" with a capital O.
        Example(
            name: "RFC 2617 §3.5 (MD5)", algorithm: .md5, username: "Mufasa", realm: "testrealm@host.com",
            password: "Circle Of Life", method: "GET", uri: "/dir/index.html",
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093", nc: "00000001", cnonce: "0a4f113b",
            response: "6629fae49393a05397450978507c4ef1"),
        // RFC 7616 §3.9.1: "Circle of Life", and one set of inputs for both algorithms.
        Example(
            name: "RFC 7616 §3.9.1 (MD5)", algorithm: .md5, username: "Mufasa", realm: "http-auth@example.org",
            password: "Circle of Life", method: "GET", uri: "/dir/index.html",
            nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc: "00000001",
            cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", response: "8ca523f5e9506fed4657c9700eebdbec"),
        Example(
            name: "RFC 7616 §3.9.1 (SHA-256)", algorithm: .sha256, username: "Mufasa", realm: "http-auth@example.org",
            password: "Circle of Life", method: "GET", uri: "/dir/index.html",
            nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc: "00000001",
            cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
            response: "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ]

    @Test("qop=auth reproduces the RFCs' worked examples", arguments: examples)
    func workedExample(_ example: Example) {
        let ha1 = example.algorithm.ha1(username: example.username, realm: example.realm, password: example.password)
        let digest = example.algorithm.requestDigest(
            ha1: ha1, nonce: example.nonce, method: example.method, digestURI: example.uri,
            qop: .auth(nc: example.nc, cnonce: example.cnonce))
        #expect(digest == example.response)
        #expect(DigestAlgorithm.responsesMatch(expected: digest, received: example.response))
        #expect(DigestAlgorithm.responsesMatch(expected: digest, received: example.response.uppercased()))
    }

    @Test("the pieces: HA2 and KD as RFC 2617 §3.5 computes them")
    func pieces() {
        let md5 = DigestAlgorithm.md5
        #expect(md5.ha2(method: "GET", digestURI: "/dir/index.html") == md5.hash("GET:/dir/index.html"))
        #expect(md5.kd(secret: "a", data: "b") == md5.hash("a:b"))
        #expect(md5.ha2(method: "GET", digestURI: "/dir/index.html") == "39aff3a2bab6126f332b942af96d3366")
    }

    @Test("without qop the RFC 2069 form KD(HA1, nonce \":\" HA2) is used", arguments: DigestAlgorithm.allCases)
    func rfc2069(_ algorithm: DigestAlgorithm) {
        let ha1 = algorithm.ha1(username: "alice", realm: "example.com", password: "secret")
        let ha2 = algorithm.hash("INVITE:sip:bob@example.com")
        let digest = algorithm.requestDigest(
            ha1: ha1, nonce: "abc", method: "INVITE", digestURI: "sip:bob@example.com", qop: .rfc2069)
        #expect(digest == algorithm.hash("\(ha1):abc:\(ha2)"))
        #expect(digest.utf8.count == algorithm.hexLength)
        let withQOP = algorithm.requestDigest(
            ha1: ha1, nonce: "abc", method: "INVITE", digestURI: "sip:bob@example.com", qop: .auth(nc: "00000001", cnonce: "c"))
        #expect(withQOP == algorithm.hash("\(ha1):abc:00000001:c:auth:\(ha2)"))
        #expect(withQOP != digest)
    }

    @Test(
        "responses compare case-insensitively, and only when equal",
        arguments: [
            ("6629fae49393a05397450978507c4ef1", "6629FAE49393A05397450978507C4EF1", true),
            ("6629fae49393a05397450978507c4ef1", "6629fae49393a05397450978507c4ef1", true),
            ("6629fae49393a05397450978507c4ef1", "6629fae49393a05397450978507c4ef0", false),
            ("6629fae49393a05397450978507c4ef1", "7629fae49393a05397450978507c4ef1", false),
            ("6629fae49393a05397450978507c4ef1", "6629fae49393a05397450978507c4ef", false),
            ("6629fae49393a05397450978507c4ef1", "6629fae49393a05397450978507c4ef11", false),
            ("6629fae49393a05397450978507c4ef1", "", false),
            ("", "", false),
            // Only letters fold: "@" (0x40) is not "`" (0x60), "[" is not "{".
            ("`a{", "@A[", false),
        ])
    func comparison(expected: String, received: String, matches: Bool) {
        #expect(DigestAlgorithm.responsesMatch(expected: expected, received: received) == matches)
    }
}
