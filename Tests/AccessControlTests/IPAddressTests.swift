import TestSupport
import Testing

@testable import AccessControl

@Suite("IPAddress")
struct IPAddressTests {
    @Test(
        "parses and prints canonical forms",
        arguments: [
            ("0.0.0.0", "0.0.0.0"),
            ("255.255.255.255", "255.255.255.255"),
            ("192.0.2.1", "192.0.2.1"),
            ("::", "::"),
            ("::1", "::1"),
            ("1::", "1::"),
            ("2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("2001:db8:0:0:0:0:2:1", "2001:db8::2:1"),
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
            ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
            ("fe80::1:2", "fe80::1:2"),
            ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
            ("::FFFF:c000:0201", "::ffff:192.0.2.1"),
            ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
        ]
    )
    func canonicalForm(text: String, expected: String) throws {
        let address = try IPAddress(text)
        #expect(address.description == expected)
        #expect(try IPAddress(expected) == address)
    }

    @Test("prints every octet width in every position as decimal without leading zeros")
    func dottedQuadWidths() throws {
        let octets: [UInt32] = [0, 1, 9, 10, 42, 99, 100, 101, 199, 200, 249, 255]
        for a in octets {
            for b in octets {
                let value = a << 24 | b << 16 | (255 - a) << 8 | (255 - b)
                let expected = "\(a).\(b).\(255 - a).\(255 - b)"
                #expect(IPAddress(ipv4: value).description == expected)
                #expect(try IPAddress(expected) == IPAddress(ipv4: value))
            }
        }
    }

    @Test(
        "refuses malformed text with the reason and position",
        arguments: [
            ("", IPAddressParseError.empty),
            ("1.2.3", .wrongNumberOfIPv4Octets(3)),
            ("1.2.3.4.5", .wrongNumberOfIPv4Octets(5)),
            ("256.0.0.1", .invalidIPv4Octet("256", position: 0)),
            ("1.2..4", .invalidIPv4Octet("", position: 4)),
            ("01.2.3.4", .leadingZeroInIPv4Octet("01", position: 0)),
            ("1.2.3.a", .unexpectedCharacter("a", position: 6)),
            (" 1.2.3.4", .unexpectedCharacter(" ", position: 0)),
            (":::", .unexpectedCharacter(":", position: 2)),
            (":1::", .unexpectedCharacter(":", position: 0)),
            ("1::2::3", .multipleDoubleColons(position: 4)),
            ("12345::", .ipv6GroupTooLong("12345", position: 0)),
            ("fe80::1%eth0", .zoneNotAllowed(position: 7)),
            ("[::1]", .unexpectedCharacter("[", position: 0)),
            ("1:2:3:4:5:6:7:8:9", .wrongNumberOfIPv6Groups(9)),
            ("1:2:3:4:5:6:7", .wrongNumberOfIPv6Groups(7)),
            ("1:2:3:4:5:6:7::8", .wrongNumberOfIPv6Groups(8)),
            ("1:", .unexpectedCharacter(":", position: 1)),
            ("::ffff:1.2.3", .wrongNumberOfIPv4Octets(3)),
        ]
    )
    func malformed(text: String, expected: IPAddressParseError) {
        #expect(throws: expected) { try IPAddress(text) }
    }

    @Test("every error explains itself")
    func errorDescriptions() {
        let error = IPAddressParseError.leadingZeroInIPv4Octet("010", position: 4)
        #expect(error.description == "IPv4 part \"010\" at position 4 has a leading zero")
    }

    @Test("round-trips random addresses through text and bytes")
    func roundTrip() throws {
        var random = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            let v4 = IPAddress(ipv4: UInt32(truncatingIfNeeded: random.next()))
            let v6 = IPAddress(ipv6: UInt128(random.next()) << 64 | UInt128(random.next()) >> (random.next() % 64))
            for address in [v4, v6] {
                #expect(try IPAddress(address.description) == address)
                #expect(IPAddress(networkBytes: address.networkBytes) == address)
            }
        }
    }

    @Test("IPv4-mapped IPv6 addresses unmap to IPv4")
    func mapped() throws {
        let mapped = try IPAddress("::ffff:10.1.2.3")
        #expect(mapped.family == .ipv6)
        #expect(mapped.unmappedIPv4 == (try IPAddress("10.1.2.3")))
        #expect(mapped.canonical.family == .ipv4)
        #expect((try IPAddress("::1")).unmappedIPv4 == nil)
    }
}
