import Testing

@testable import PolicyStore

@Suite("SID")
struct SIDTests {
    @Test("random SIDs carry their prefix and 32 lowercase hex digits", arguments: SID.Kind.allCases)
    func randomFormat(kind: SID.Kind) {
        let sid = SID.random(kind)
        #expect(sid.kind == kind)
        #expect(sid.rawValue.count == 34)
        #expect(sid.rawValue.hasPrefix(kind.rawValue))
        #expect(sid.rawValue.dropFirst(2).allSatisfy { "0123456789abcdef".contains($0) })
        #expect(SID(sid.rawValue, kind: kind) == sid)
    }

    @Test("random SIDs do not repeat")
    func randomUnique() {
        let sids = Set((0..<1000).map { _ in SID.random(.domain) })
        #expect(sids.count == 1000)
    }

    @Test("parsing keeps hex digits in lower case")
    func parsingNormalises() {
        let sid = SID("SD0123456789ABCDEF0123456789abcdef", kind: .domain)
        #expect(sid?.rawValue == "SD0123456789abcdef0123456789abcdef")
        #expect(SID("SD0123456789ABCDEF0123456789abcdef")?.kind == .domain)
    }

    @Test(
        "parsing refuses what is not a SID of the kind",
        arguments: [
            "", "SD", "AL0123456789abcdef0123456789abcdef", "sd0123456789abcdef0123456789abcdef",
            "SD0123456789abcdef0123456789abcde", "SD0123456789abcdef0123456789abcdef0",
            "SD0123456789abcdef0123456789abcdeg", "SD0123456789abcdef01234567\u{e9}9abcd",
        ])
    func parsingRefuses(text: String) {
        #expect(SID(text, kind: .domain) == nil)
    }
}
