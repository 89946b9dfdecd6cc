/// One SIP message as the capture in the edge namespace saw it: on which of the edge's
/// interfaces, whether it arrived there or left from there, between which addresses, and
/// what it was (method or status, CSeq, Record-Route).
struct CapturedSIPMessage: Sendable, CustomStringConvertible {
    /// Whether the packet was addressed to the edge or sent by it (`sll.pkttype` 0 and 4).
    enum Direction: String, Sendable {
        case received = "in"
        case sent = "out"
        case other = "?"
    }

    let frame: Int
    let interfaceIndex: Int
    let direction: Direction
    let source: String
    let destination: String
    let overTCP: Bool
    /// The method of a request; `nil` for a response.
    let method: String?
    /// The status code of a response; `nil` for a request.
    let status: Int?
    let requestURI: String
    let sequence: Int
    let sequenceMethod: String
    /// The Record-Route header values, joined by `|` (those of the whole frame when it
    /// carried several messages).
    let recordRoute: String
    let route: String

    var isRequest: Bool { method != nil }

    var description: String {
        let what = method.map { "\($0) \(requestURI)" } ?? "\(status ?? 0)"
        var line = "#\(frame) if\(interfaceIndex) \(direction.rawValue) \(source) > \(destination) \(overTCP ? "tcp" : "udp") \(what) [CSeq \(sequence) \(sequenceMethod)]"
        if !route.isEmpty { line += " Route: \(route)" }
        if !recordRoute.isEmpty { line += " Record-Route: \(recordRoute)" }
        return line
    }

    /// The tshark fields ``messages(fromFields:)`` reads, in order.
    static let fields = [
        "frame.number", "sll.ifindex", "sll.pkttype", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "tcp.stream",
        "sip.Request-Line", "sip.Status-Line", "sip.CSeq", "sip.Record-Route", "sip.Route",
    ]

    /// The messages of one line of `tshark -T fields` output (tab-separated, values of a
    /// field that occurs several times joined by `|`). A TCP segment may carry several SIP
    /// messages: each request takes the first unused CSeq of its method, responses the rest
    /// in order.
    static func messages(fromFields line: Substring) -> [CapturedSIPMessage] {
        let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard columns.count == fields.count, let frame = Int(columns[0]) else { return [] }
        func values(_ column: Int) -> [String] { columns[column].split(separator: "|").map(String.init) }
        let direction: Direction = columns[2] == "0" ? .received : columns[2] == "4" ? .sent : .other
        let source = columns[3].isEmpty ? columns[5] : columns[3]
        let destination = columns[4].isEmpty ? columns[6] : columns[4]
        var sequences = values(10).map { value -> (Int, String) in
            let parts = value.split(separator: " ")
            return (Int(parts.first ?? "") ?? -1, parts.dropFirst().first.map(String.init) ?? "")
        }
        var messages: [CapturedSIPMessage] = []
        func add(method: String?, status: Int?, uri: String, sequence: (Int, String)) {
            messages.append(
                CapturedSIPMessage(
                    frame: frame, interfaceIndex: Int(columns[1]) ?? -1, direction: direction, source: source,
                    destination: destination, overTCP: !columns[7].isEmpty, method: method, status: status, requestURI: uri,
                    sequence: sequence.0, sequenceMethod: sequence.1, recordRoute: columns[11], route: columns[12]))
        }
        for requestLine in values(8) {
            let parts = requestLine.split(separator: " ")
            let method = parts.first.map(String.init) ?? ""
            let index = sequences.firstIndex { $0.1 == method } ?? sequences.startIndex
            let sequence = index < sequences.endIndex ? sequences.remove(at: index) : (-1, "")
            add(method: method, status: nil, uri: parts.dropFirst().first.map(String.init) ?? "", sequence: sequence)
        }
        for statusLine in values(9) {
            let code = statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) }
            let sequence = sequences.isEmpty ? (-1, "") : sequences.removeFirst()
            add(method: nil, status: code ?? 0, uri: "", sequence: sequence)
        }
        return messages
    }
}
