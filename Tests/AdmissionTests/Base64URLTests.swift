import Foundation
import Testing

@testable import Admission

@Suite("base64url (RFC 4648 §5), unpadded")
struct Base64URLTests {
    @Test("round-trips every length of whole 3-byte groups, with - and _ where base64 has + and /")
    func roundTrip() {
        var generator = SystemRandomNumberGenerator()
        for groups in 0...20 {
            let bytes = (0..<(groups * 3)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let text = Base64URL.encode(bytes)
            #expect(text == Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"))
            #expect(Base64URL.decode(text) == bytes)
        }
        #expect(Base64URL.encode([0xFB, 0xFF, 0xBF]) == "-_-_")
        #expect(Base64URL.decode("-_-_") == [0xFB, 0xFF, 0xBF])
    }

    @Test("refuses standard base64's characters, padding, lengths not a multiple of 4 and non-ASCII", arguments: [
        "+/+/", "AAA=", "AAAAA", "AAA", "AAé=", "AA\u{0}A", "AA A",
    ])
    func refusals(_ text: String) {
        #expect(Base64URL.decode(text) == nil)
    }
}
