/// One Via header value: the transport and address ("sent-by") a request was sent from
/// and where its responses must go back, with parameters such as `branch`, `received`
/// and `rport` (RFC 3261 §20.42, RFC 3581).
public struct SIPVia: Hashable, Sendable {
    /// Whether and how the `rport` parameter (RFC 3581) is present.
    public enum ResponsePort: Hashable, Sendable {
        /// No `rport`: responses go to the sent-by port.
        case absent
        /// `;rport` without a value: the client asks for the source port to be filled in.
        case requested
        /// `;rport=N`: the source port the request was received from.
        case filled(Int)
    }

    /// The RFC 3261 magic cookie that starts every branch of a compliant client.
    public static let magicCookie = "z9hG4bK"

    /// The transport, as written (`UDP`, `TCP`, `TLS`, …; unknown ones are kept).
    public var transport: String
    /// The sent-by host: a host name or an IP address (IPv6 without brackets).
    public var host: String
    /// The sent-by port, if written.
    public var port: Int?
    /// All parameters, in order.
    public var parameters: [SIPParameter]

    /// A Via value. `host` is an IPv6 address without brackets, or a name or IPv4 address.
    public init(transport: String, host: String, port: Int?, parameters: [SIPParameter]) {
        self.transport = transport
        self.host = host
        self.port = port
        self.parameters = parameters
    }

    /// The `branch` parameter: the transaction identifier.
    public var branch: String? { parameters.first(named: "branch")?.value }

    /// Whether the branch starts with the RFC 3261 magic cookie.
    public var hasMagicCookie: Bool { branch?.hasPrefix(Self.magicCookie) ?? false }

    /// The `received` parameter: the address the request really came from.
    public var received: String? { parameters.first(named: "received")?.value }

    /// The `rport` parameter (RFC 3581).
    public var responsePort: ResponsePort {
        guard let parameter = parameters.first(named: "rport") else { return .absent }
        guard let value = parameter.value else { return .requested }
        return Int(value).map(ResponsePort.filled) ?? .requested
    }

    /// The transport, if it is one sipfence knows.
    public var knownTransport: SIPTransport? { SIPTransport(named: transport) }

    /// The sent-by port, or the transport's default when none is written.
    public var portOrDefault: Int { port ?? knownTransport?.defaultPort ?? 5060 }

    /// Sets parameter `name` to `value`, replacing it in place or appending it.
    public mutating func setParameter(_ name: String, to value: String?) {
        if let index = parameters.firstIndex(where: { $0.name.utf8.equalsCaseInsensitive(name) }) {
            parameters[index].value = value
        } else {
            parameters.append(SIPParameter(name: name, value: value))
        }
    }

    /// The sent-by as written in a header: IPv6 hosts in brackets, then `:port` if any.
    public var sentBy: String {
        let host = self.host.utf8.contains(.colon) ? "[\(self.host)]" : self.host
        return port.map { "\(host):\($0)" } ?? host
    }
}

extension SIPVia: CustomStringConvertible {
    /// The header value: `SIP/2.0/UDP host:port;param=value…`.
    public var description: String {
        var bytes: [UInt8] = []
        append(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the header value to `bytes` (what responses and forwarded requests are built with).
    func append(to bytes: inout [UInt8]) {
        bytes.append(contentsOf: "SIP/2.0/".utf8)
        bytes.append(contentsOf: transport.utf8)
        bytes.append(.space)
        let bracketed = host.utf8.contains(.colon)
        if bracketed { bytes.append(UInt8(ascii: "[")) }
        bytes.append(contentsOf: host.utf8)
        if bracketed { bytes.append(UInt8(ascii: "]")) }
        if let port {
            bytes.append(.colon)
            bytes.append(contentsOf: String(port).utf8)
        }
        for parameter in parameters {
            bytes.append(.semicolon)
            bytes.append(contentsOf: parameter.name.utf8)
            if let value = parameter.value {
                bytes.append(UInt8(ascii: "="))
                bytes.append(contentsOf: value.utf8)
            }
        }
    }
}
