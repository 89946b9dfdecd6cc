import Testing

@testable import AccessControl

@Suite("IPPrefix")
struct IPPrefixTests {
    @Test(
        "parses, normalising host bits away",
        arguments: [
            ("192.0.2.77/24", "192.0.2.0/24"),
            ("10.0.0.1", "10.0.0.1/32"),
            ("0.0.0.0/0", "0.0.0.0/0"),
            ("255.255.255.255/1", "128.0.0.0/1"),
            ("2001:db8::1/32", "2001:db8::/32"),
            ("::1", "::1/128"),
            ("::/0", "::/0"),
        ]
    )
    func normalises(text: String, expected: String) throws {
        #expect(try IPPrefix(text).description == expected)
    }

    @Test(
        "refuses bad lengths",
        arguments: [
            ("10.0.0.0/33", IPAddressParseError.invalidPrefixLength("33", maximum: 32)),
            ("10.0.0.0/", .invalidPrefixLength("", maximum: 32)),
            ("10.0.0.0/-1", .invalidPrefixLength("-1", maximum: 32)),
            ("10.0.0.0/2a", .invalidPrefixLength("2a", maximum: 32)),
            ("::/129", .invalidPrefixLength("129", maximum: 128)),
            ("::/1000", .invalidPrefixLength("1000", maximum: 128)),
            ("10.0.0.0/99999999999999999999999", .invalidPrefixLength("99999999999999999999999", maximum: 32)),
            ("10.0.0.0/8/8", .invalidPrefixLength("8/8", maximum: 32)),
            ("10.0.0/8", .wrongNumberOfIPv4Octets(3)),
        ]
    )
    func badLength(text: String, expected: IPAddressParseError) {
        #expect(throws: expected) { try IPPrefix(text) }
    }

    @Test("contains addresses and prefixes, IPv4-mapped included")
    func containment() throws {
        let net = try IPPrefix("192.0.2.0/24")
        #expect(net.contains(try IPAddress("192.0.2.0")))
        #expect(net.contains(try IPAddress("192.0.2.255")))
        #expect(!net.contains(try IPAddress("192.0.3.0")))
        #expect(net.contains(try IPAddress("::ffff:192.0.2.9")))
        #expect(!net.contains(try IPAddress("2001:db8::1")))
        #expect(net.contains(try IPPrefix("192.0.2.128/25")))
        #expect(!net.contains(try IPPrefix("192.0.0.0/16")))
        let mapped = try IPPrefix("::ffff:10.0.0.0/104")
        #expect(mapped.canonical == (try IPPrefix("10.0.0.0/8")))
        #expect(mapped.contains(try IPAddress("10.9.9.9")))
        #expect(try IPPrefix("::/0").contains(try IPAddress("2001:db8::1")))
        #expect(try IPPrefix("0.0.0.0/0").contains(try IPAddress("203.0.113.5")))
    }
}
