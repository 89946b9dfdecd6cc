import AccessControl
// Builders for the captures the tests read: frames, IP packets and pcap/pcapng files,
// written byte by byte so that every field the reader looks at is under the test's control.

@testable import Capture

func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
func be32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }
func int16(_ value: UInt16, bigEndian: Bool) -> [UInt8] { bigEndian ? be16(value) : be16(value).reversed() }
func int32(_ value: UInt32, bigEndian: Bool) -> [UInt8] { bigEndian ? be32(value) : be32(value).reversed() }
func int64(_ value: UInt64, bigEndian: Bool) -> [UInt8] {
    let bytes = (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) }
    return bigEndian ? bytes : bytes.reversed()
}

/// The parts, one after the other (spelled as a function: long `+` chains overwhelm the type checker).
func concat(_ parts: [UInt8]...) -> [UInt8] { parts.flatMap { $0 } }

extension Array where Element == UInt8 {
    /// The bytes of an ASCII string.
    init(ascii text: String) { self = Array(text.utf8) }

    /// Padded with zeros to a multiple of 4.
    var paddedTo4: [UInt8] { self + [UInt8](repeating: 0, count: (4 - count % 4) % 4) }
}

/// Test addresses: documentation prefixes (RFC 5737, RFC 3849) and loopback.
enum TestAddress {
    static let client: [UInt8] = [192, 0, 2, 10]
    static let server: [UInt8] = [198, 51, 100, 20]
    static let client6: [UInt8] = concat([0x20, 0x01, 0x0D, 0xB8], [UInt8](repeating: 0, count: 11), [0x0A])
    static let server6: [UInt8] = concat([0x20, 0x01, 0x0D, 0xB8], [UInt8](repeating: 0, count: 11), [0x14])

    static func endpoint(_ bytes: [UInt8], _ port: UInt16) -> CaptureEndpoint {
        CaptureEndpoint(address: IPAddress(networkBytes: bytes)!, port: port)
    }
}

/// Frames and packets.
enum Packet {
    static let udpProtocol: UInt8 = 17
    static let tcpProtocol: UInt8 = 6

    static func udp(source: UInt16 = 5060, destination: UInt16 = 5060, payload: [UInt8], length: UInt16? = nil) -> [UInt8] {
        concat(be16(source), be16(destination), be16(length ?? UInt16(payload.count + 8)), [0, 0], payload)
    }

    struct TCPFlags: OptionSet {
        let rawValue: UInt8
        static let fin = TCPFlags(rawValue: 0x01)
        static let syn = TCPFlags(rawValue: 0x02)
        static let rst = TCPFlags(rawValue: 0x04)
        static let psh = TCPFlags(rawValue: 0x08)
        static let ack = TCPFlags(rawValue: 0x10)
    }

    static func tcp(
        source: UInt16 = 40000,
        destination: UInt16 = 5060,
        sequence: UInt32,
        flags: TCPFlags = [.ack, .psh],
        payload: [UInt8] = [],
        options: [UInt8] = []
    ) -> [UInt8] {
        let header = 20 + options.paddedTo4.count
        return concat(
            be16(source), be16(destination), be32(sequence), be32(1),
            [UInt8(header / 4) << 4, flags.rawValue], be16(65535), [0, 0, 0, 0],
            options.paddedTo4, payload
        )
    }

    static func ipv4(
        source: [UInt8] = TestAddress.client,
        destination: [UInt8] = TestAddress.server,
        protocolNumber: UInt8 = udpProtocol,
        identification: UInt16 = 0x1234,
        moreFragments: Bool = false,
        fragmentOffset: Int = 0,
        options: [UInt8] = [],
        totalLength: Int? = nil,
        payload: [UInt8]
    ) -> [UInt8] {
        let headerLength = 20 + options.paddedTo4.count
        let flags: UInt16 = (moreFragments ? 0x2000 : 0) | UInt16(fragmentOffset / 8)
        return concat(
            [0x40 | UInt8(headerLength / 4), 0], be16(UInt16(totalLength ?? headerLength + payload.count)),
            be16(identification), be16(flags), [64, protocolNumber, 0xDE, 0xAD],
            source, destination, options.paddedTo4, payload
        )
    }

    static func ipv6(
        source: [UInt8] = TestAddress.client6,
        destination: [UInt8] = TestAddress.server6,
        nextHeader: UInt8 = udpProtocol,
        payloadLength: Int? = nil,
        payload: [UInt8]
    ) -> [UInt8] {
        concat([0x60, 0, 0, 0], be16(UInt16(payloadLength ?? payload.count)), [nextHeader, 64], source, destination, payload)
    }

    /// A hop-by-hop, routing or destination-options header of `units` × 8 bytes (at least 1).
    static func extensionHeader(nextHeader: UInt8, units: Int = 1) -> [UInt8] {
        concat([nextHeader, UInt8(units - 1)], [UInt8](repeating: 0x01, count: units * 8 - 2))
    }

    static func fragmentHeader(nextHeader: UInt8, offset: Int, moreFragments: Bool, identification: UInt32) -> [UInt8] {
        concat([nextHeader, 0], be16(UInt16(offset / 8) << 3 | (moreFragments ? 1 : 0)), be32(identification))
    }

    static func ethernet(etherType: UInt16 = 0x0800, tags: [UInt16] = [], payload: [UInt8]) -> [UInt8] {
        var frame: [UInt8] = [0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2]
        for (index, tpid) in tags.enumerated() { frame += concat(be16(tpid), be16(UInt16(100 + index))) }
        return concat(frame, be16(etherType), payload)
    }

    static func sll(protocolType: UInt16 = 0x0800, payload: [UInt8]) -> [UInt8] {
        concat([0, 0, 0, 1, 0, 6], [2, 0, 0, 0, 0, 1, 0, 0], be16(protocolType), payload)
    }

    static func sll2(protocolType: UInt16 = 0x0800, payload: [UInt8]) -> [UInt8] {
        concat(be16(protocolType), [0, 0], be32(1), [0, 1, 0, 6], [2, 0, 0, 0, 0, 1, 0, 0], payload)
    }

    static func null(family: UInt32, bigEndian: Bool = false, payload: [UInt8]) -> [UInt8] {
        int32(family, bigEndian: bigEndian) + payload
    }

    static func sipMessage(_ callID: String, body: String = "") -> [UInt8] {
        Array(
            ascii: "INVITE sip:bob@example.com SIP/2.0\r\nCall-ID: \(callID)\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
        )
    }
}

/// Writes classic pcap files.
struct PcapWriter {
    private(set) var bytes: [UInt8]
    let bigEndian: Bool
    let nanoseconds: Bool
    let recordExtra: Int

    init(
        linkType: UInt32 = 1,
        bigEndian: Bool = false,
        nanoseconds: Bool = false,
        modified: Bool = false,
        snapLength: UInt32 = 262_144,
        version: (UInt16, UInt16) = (2, 4)
    ) {
        self.bigEndian = bigEndian
        self.nanoseconds = nanoseconds
        self.recordExtra = modified ? 8 : 0
        let magic: UInt32 = modified ? 0xA1B2_CD34 : nanoseconds ? 0xA1B2_3C4D : 0xA1B2_C3D4
        bytes =
            concat(
                int32(magic, bigEndian: bigEndian), int16(version.0, bigEndian: bigEndian),
                int16(version.1, bigEndian: bigEndian), int32(0, bigEndian: bigEndian),
                int32(0, bigEndian: bigEndian), int32(snapLength, bigEndian: bigEndian),
                int32(linkType, bigEndian: bigEndian)
            )
    }

    /// Adds a record; `fraction` is in the file's unit (µs or ns).
    mutating func add(_ frame: [UInt8], seconds: UInt32 = 1_700_000_000, fraction: UInt32 = 0, originalLength: Int? = nil) {
        bytes += concat(
            int32(seconds, bigEndian: bigEndian), int32(fraction, bigEndian: bigEndian),
            int32(UInt32(frame.count), bigEndian: bigEndian),
            int32(UInt32(originalLength ?? frame.count), bigEndian: bigEndian),
            [UInt8](repeating: 0xEE, count: recordExtra), frame
        )
    }
}

/// Writes pcapng files, section by section.
struct PcapngWriter {
    private(set) var bytes: [UInt8] = []
    private var bigEndian = false

    init(bigEndian: Bool = false) {
        section(bigEndian: bigEndian)
    }

    mutating func section(bigEndian: Bool, major: UInt16 = 1) {
        self.bigEndian = bigEndian
        block(
            type: 0x0A0D_0D0A,
            body: concat(
                int32(0x1A2B_3C4D, bigEndian: bigEndian), int16(major, bigEndian: bigEndian),
                int16(0, bigEndian: bigEndian), int64(UInt64.max, bigEndian: bigEndian)
            )
        )
    }

    static func option(code: UInt16, value: [UInt8], bigEndian: Bool) -> [UInt8] {
        concat(int16(code, bigEndian: bigEndian), int16(UInt16(value.count), bigEndian: bigEndian), value.paddedTo4)
    }

    mutating func interface(linkType: UInt16, snapLength: UInt32 = 0, timestampResolution: UInt8? = nil, timestampOffset: Int64? = nil) {
        var options: [UInt8] = Self.option(code: 2, value: Array(ascii: "eth0"), bigEndian: bigEndian)
        if let timestampResolution { options += Self.option(code: 9, value: [timestampResolution], bigEndian: bigEndian) }
        if let timestampOffset {
            options += Self.option(code: 14, value: int64(UInt64(bitPattern: timestampOffset), bigEndian: bigEndian), bigEndian: bigEndian)
        }
        options += [0, 0, 0, 0]
        block(
            type: 1,
            body: concat(int16(linkType, bigEndian: bigEndian), [0, 0], int32(snapLength, bigEndian: bigEndian), options)
        )
    }

    mutating func enhancedPacket(interface: UInt32 = 0, units: UInt64 = 1_700_000_000_000_000, frame: [UInt8], originalLength: Int? = nil) {
        block(
            type: 6,
            body: concat(
                int32(interface, bigEndian: bigEndian), int32(UInt32(units >> 32), bigEndian: bigEndian),
                int32(UInt32(truncatingIfNeeded: units), bigEndian: bigEndian),
                int32(UInt32(frame.count), bigEndian: bigEndian),
                int32(UInt32(originalLength ?? frame.count), bigEndian: bigEndian), frame.paddedTo4,
                Self.option(code: 1, value: Array(ascii: "comment"), bigEndian: bigEndian), [0, 0, 0, 0]
            )
        )
    }

    mutating func simplePacket(frame: [UInt8], originalLength: Int? = nil) {
        block(type: 3, body: concat(int32(UInt32(originalLength ?? frame.count), bigEndian: bigEndian), frame.paddedTo4))
    }

    mutating func obsoletePacket(interface: UInt16 = 0, units: UInt64 = 1_700_000_000_000_000, frame: [UInt8]) {
        block(
            type: 2,
            body: concat(
                int16(interface, bigEndian: bigEndian), [0, 0], int32(UInt32(units >> 32), bigEndian: bigEndian),
                int32(UInt32(truncatingIfNeeded: units), bigEndian: bigEndian),
                int32(UInt32(frame.count), bigEndian: bigEndian), int32(UInt32(frame.count), bigEndian: bigEndian),
                frame.paddedTo4
            )
        )
    }

    mutating func block(type: UInt32, body: [UInt8]) {
        let length = UInt32(12 + body.paddedTo4.count)
        bytes += concat(
            int32(type, bigEndian: bigEndian), int32(length, bigEndian: bigEndian), body.paddedTo4,
            int32(length, bigEndian: bigEndian)
        )
    }

    /// Raw bytes, for writing broken blocks.
    mutating func append(_ raw: [UInt8]) { bytes += raw }
}

/// Everything a capture yields, and what the reader counted.
struct CaptureContents {
    var events: [CaptureEvent] = []
    var statistics = CaptureStatistics()
    var error: CaptureError?

    var payloads: [[UInt8]] {
        events.compactMap {
            switch $0 {
            case .datagram(_, _, _, let payload): payload
            case .stream(_, _, _, let bytes): bytes
            case .streamEnded: nil
            }
        }
    }

    /// Every stream byte each direction delivered, concatenated, keyed "source>destination".
    var streams: [String: [UInt8]] {
        var result: [String: [UInt8]] = [:]
        for case .stream(_, let source, let destination, let bytes) in events {
            result["\(source)>\(destination)", default: []] += bytes
        }
        return result
    }

    var endedStreams: [String] {
        events.compactMap {
            guard case .streamEnded(_, let source, let destination) = $0 else { return nil }
            return "\(source)>\(destination)"
        }
    }
}

/// Reads every event of a capture held in memory; a file error ends the reading and is kept.
func readCapture(_ bytes: [UInt8], name: String = "test.pcap") throws(CaptureError) -> CaptureContents {
    var reader = try CaptureReader(bytes: bytes, name: name)
    var contents = CaptureContents()
    do {
        while let event = try reader.next() { contents.events.append(event) }
    } catch {
        contents.error = error
    }
    contents.statistics = reader.statistics
    return contents
}

/// A pcap of raw IPv4/IPv6 packets (link type 101), one record per packet, a millisecond apart.
func rawCapture(_ packets: [[UInt8]], startSeconds: UInt32 = 1_700_000_000, spacingMicroseconds: UInt32 = 1000) -> [UInt8] {
    var writer = PcapWriter(linkType: 101)
    for (index, packet) in packets.enumerated() {
        let micros = UInt64(index) * UInt64(spacingMicroseconds)
        writer.add(packet, seconds: startSeconds + UInt32(micros / 1_000_000), fraction: UInt32(micros % 1_000_000))
    }
    return writer.bytes
}
