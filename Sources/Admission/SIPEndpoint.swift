public import AccessControl
public import SIPCore

/// A transport, IP address and port: where sipfence listens or where the upstream proxy
/// is, written `udp:192.0.2.1:5060`, `tcp:[2001:db8::1]:5060` in configuration.
public struct SIPEndpoint: Hashable, Sendable {
    /// The transport.
    public var transport: SIPTransport
    /// The address.
    public var address: IPAddress
    /// The port (0 means "any free port" when listening).
    public var port: Int

    /// An endpoint from its parts.
    public init(transport: SIPTransport, address: IPAddress, port: Int) {
        self.transport = transport
        self.address = address
        self.port = port
    }

    /// Parses `proto:host:port` (`udp` or `tcp`; IPv6 hosts in brackets).
    public init(_ text: String) throws(SIPEndpointParseError) {
        guard let colon = text.firstIndex(of: ":") else { throw .missingTransport(text) }
        guard let transport = SIPTransport(named: text[..<colon]), transport == .udp || transport == .tcp else {
            throw .unsupportedTransport(String(text[..<colon]))
        }
        let hostPort = text[text.index(after: colon)...]
        let hostText: Substring
        let portText: Substring
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]"), hostPort[hostPort.index(after: close)...].hasPrefix(":") else {
                throw .malformed(text, "an IPv6 host is written [address]:port")
            }
            hostText = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            portText = hostPort[hostPort.index(close, offsetBy: 2)...]
        } else {
            guard let lastColon = hostPort.lastIndex(of: ":") else { throw .malformed(text, "missing :port") }
            hostText = hostPort[..<lastColon]
            portText = hostPort[hostPort.index(after: lastColon)...]
            if hostText.contains(":") { throw .malformed(text, "an IPv6 host must be in brackets") }
        }
        let address: IPAddress
        do {
            address = try IPAddress(hostText)
        } catch {
            throw .invalidAddress(String(hostText), error)
        }
        guard !portText.isEmpty, portText.allSatisfy(\.isASCII), let port = Int(portText), (0...65535).contains(port) else {
            throw .invalidPort(String(portText))
        }
        self.init(transport: transport, address: address, port: port)
    }

    /// Whether a socket bound here can send to an address of `family`: one of that family
    /// (IPv4-mapped IPv6 counts as IPv4), or the dual-stack IPv6 wildcard `[::]`, which
    /// reaches IPv4 too.
    public func reaches(_ family: IPAddress.Family) -> Bool {
        address.canonical.family == family || address == IPAddress(ipv6: 0)
    }

    /// The host as written in a URI or Via: IPv6 in brackets.
    public var hostText: String {
        address.family == .ipv6 ? "[\(address)]" : address.description
    }
}

extension SIPEndpoint: CustomStringConvertible {
    /// `udp:127.0.0.1:5060`, `tcp:[::1]:5060`.
    public var description: String {
        "\(transport.rawValue.lowercased()):\(hostText):\(port)"
    }
}

/// Why a text is not a `proto:host:port` endpoint.
public enum SIPEndpointParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No `udp:` or `tcp:` in front.
    case missingTransport(String)
    /// A transport other than `udp` or `tcp`.
    case unsupportedTransport(String)
    /// The host:port part is malformed.
    case malformed(String, String)
    /// The host is not an IP address.
    case invalidAddress(String, IPAddressParseError)
    /// The port is not a number from 0 to 65535.
    case invalidPort(String)

    public var description: String {
        switch self {
        case .missingTransport(let text):
            "\(String(reflecting: text)) does not start with udp: or tcp:"
        case .unsupportedTransport(let transport):
            "transport \(String(reflecting: transport)) is not supported; use udp or tcp"
        case .malformed(let text, let detail):
            "\(String(reflecting: text)): \(detail)"
        case .invalidAddress(let host, let error):
            "host \(String(reflecting: host)) is not an IP address: \(error)"
        case .invalidPort(let port):
            "port \(String(reflecting: port)) is not a number from 0 to 65535"
        }
    }
}
