import AccessControl
import Admission
import Foundation
import SIPCore

/// Shared fixtures: the settings, policy and sources the admission tests use.
enum Fixtures {
    /// `Tests/Fixtures`, found from this file's path so tests run from any directory.
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static let secret = SIPStatelessSecret(0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210)

    static let upstream = try! SIPEndpoint("udp:127.0.0.1:5070")

    static let settings = AdmissionSettings(
        upstream: upstream,
        interfaces: [
            SIPInterface(endpoint: try! SIPEndpoint("udp:127.0.0.1:5060"), advertisedHost: "127.0.0.1", side: .both),
            SIPInterface(endpoint: try! SIPEndpoint("tcp:127.0.0.1:5060"), advertisedHost: "127.0.0.1", side: .both),
        ],
        checkedMethods: ["INVITE"],
        secret: secret
    )

    static let pipeline = AdmissionPipeline(settings: settings)

    /// The time the tests decide at: Thu, 30 Jul 2015 20:00:00 +0000.
    static let now: UInt64 = 1_438_286_400

    /// example.com and trunk.example.com admit 192.0.2.0/24 and 2001:db8::/32; closed.example.com admits nothing.
    static let policy = Policy(
        generation: 1,
        lists: [
            AccessList(id: "AL00000000000000000000000000000001", name: "carrier", prefixes: [try! IPPrefix("192.0.2.0/24"), try! IPPrefix("2001:db8::/32")])
        ],
        mappings: [
            DomainName(normalizing: "example.com"): ["AL00000000000000000000000000000001"],
            DomainName(normalizing: "trunk.example.com"): ["AL00000000000000000000000000000001"],
            DomainName(normalizing: "example.net"): ["AL00000000000000000000000000000001"],
            DomainName(normalizing: "chair-dnrc.example.com"): ["AL00000000000000000000000000000001"],
            DomainName(normalizing: "example.org"): ["AL00000000000000000000000000000001"],
            DomainName(normalizing: "closed.example.com"): [],
        ]
    )

    static func udp(_ address: String, _ port: Int = 5060) -> SIPSource {
        SIPSource(transport: .udp, address: try! IPAddress(address), port: port)
    }

    static let allowed = udp("192.0.2.10", 5062)
    static let refused = udp("203.0.113.9", 5062)
    static let fromUpstream = udp("127.0.0.1", 5070)

    /// A message written with `\n` line ends, sent with CRLF.
    static func message(_ text: String) -> [UInt8] {
        Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)
    }

    /// The status code of a response, read from its status line alone: a 400 copies the
    /// request's broken headers, so the whole response need not parse.
    static func statusCode(of bytes: [UInt8]) -> Int? {
        let line = String(decoding: bytes.prefix(while: { $0 != UInt8(ascii: "\r") }), as: UTF8.self)
        guard line.hasPrefix("SIP/2.0 ") else { return nil }
        return Int(line.dropFirst(8).prefix(3))
    }

    static func text(_ bytes: [UInt8]?) -> String {
        bytes.map { String(decoding: $0, as: UTF8.self) } ?? "<nothing>"
    }
}
