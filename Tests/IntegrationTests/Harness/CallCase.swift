import Testing

/// How the caller reaches the edge in a deployment test: the transport, and the caller's
/// address family. The inside (edge to upstream proxy to callee) is always IPv4, with the
/// caller's transport; an IPv6 caller therefore crosses families at the edge, which makes
/// the edge Record-Route twice (RFC 5658).
struct CallCase: Sendable, CustomTestStringConvertible {
    let transport: SIPTransport
    let callerUsesIPv6: Bool

    static let udp4 = CallCase(transport: .udp, callerUsesIPv6: false)
    static let tcp4 = CallCase(transport: .tcp, callerUsesIPv6: false)
    static let udp6 = CallCase(transport: .udp, callerUsesIPv6: true)
    static let all = [udp4, tcp4, udp6]

    /// The caller's SIP address.
    var callerAddress: String { callerUsesIPv6 ? NetworkTopology.callerIPv6 : NetworkTopology.callerIPv4 }
    /// The edge's address the caller sends to (its outbound proxy).
    var outsideAddress: String { callerUsesIPv6 ? NetworkTopology.outsideIPv6 : NetworkTopology.outsideIPv4 }
    /// The transport between the edge, the upstream proxy and the callee.
    var insideTransport: SIPTransport { transport }

    var testDescription: String { "\(transport.rawValue.uppercased()), IPv\(callerUsesIPv6 ? 6 : 4) caller" }
}

/// Which party ends the call with BYE.
enum HangUpSide: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case caller
    case callee

    var testDescription: String { "the \(rawValue) hangs up" }
}
