import Testing

@testable import AccessControl

@Suite("DigestAlgorithm")
struct DigestAlgorithmTests {
    /// RFC 2617 §3.5 ("Mufasa", "testrealm@host.com", "Circle Of Life"): its HA1 is the
    /// first hash the worked example computes.
    @Test("HA1 of RFC 2617's worked example")
    func rfc2617HA1() {
        #expect(
            DigestAlgorithm.md5.ha1(username: "Mufasa", realm: "testrealm@host.com", password: "Circle Of Life")
                == "939e7578ed9e3c518a452acee763bce9")
    }

    @Test(
        "names parse without regard to case; the -sess variants are not offered",
        arguments: [("MD5", DigestAlgorithm.md5), ("md5", .md5), ("SHA-256", .sha256), ("sha-256", .sha256)])
    func tokens(token: String, expected: DigestAlgorithm) {
        #expect(DigestAlgorithm(token: token) == expected)
        #expect(expected.description == expected.rawValue)
    }

    @Test("unknown algorithms are refused", arguments: ["MD5-sess", "SHA-256-sess", "SHA-512-256", "", "SHA256"])
    func unknown(token: String) {
        #expect(DigestAlgorithm(token: token) == nil)
    }

    @Test("hash lengths and HA1 shape")
    func shapes() {
        for algorithm in DigestAlgorithm.allCases {
            let ha1 = algorithm.ha1(username: "u", realm: "r", password: "p")
            #expect(ha1.utf8.count == algorithm.hexLength)
            #expect(algorithm.isWellFormedHA1(ha1))
            #expect(!algorithm.isWellFormedHA1(ha1.uppercased()))
            #expect(!algorithm.isWellFormedHA1(String(ha1.dropLast())))
        }
        #expect(DigestAlgorithm.sha256.hash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(DigestAlgorithm.md5.hash("") == "d41d8cd98f00b204e9800998ecf8427e")
    }
}
