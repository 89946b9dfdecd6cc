import AccessControl

/// Decodes captured frames into transport events: link layer, IPv4 or IPv6 (with
/// fragment reassembly), then UDP or TCP (with stream reassembly).
///
/// Nothing here throws: a frame that cannot be decoded is skipped and counted by reason.
/// The checksums of IP, UDP and TCP are not checked, because captures taken on the sending
/// host (loopback in particular) hold packets whose checksums the network card was to fill in.
struct PacketDecoder: Sendable {
    enum IPProtocol {
        static let hopByHop: UInt8 = 0
        static let tcp: UInt8 = 6
        static let udp: UInt8 = 17
        static let routing: UInt8 = 43
        static let fragment: UInt8 = 44
        static let destinationOptions: UInt8 = 60
    }

    private(set) var statistics = CaptureStatistics()
    private var fragments = FragmentReassembler()
    private var streams = TCPReassembler()
    /// The latest capture time seen: time-outs follow it, so that a capture whose clock
    /// steps back (merged files) does not expire anything early.
    private var clock = CaptureTimestamp.zero

    /// Decodes one packet record. `frame` is its captured bytes.
    mutating func decode(_ record: CaptureRecord, frame: UnsafeRawBufferPointer, into events: inout [CaptureEvent]) {
        statistics.packets += 1
        if record.timestamp > clock { clock = record.timestamp }
        guard frame.count >= record.originalLength else {
            statistics.skip(.truncatedBySnapshotLength)
            return
        }
        switch LinkLayer.networkPacket(in: frame, linkType: record.linkType) {
        case .ipv4(let offset):
            decodeIPv4(frame.suffix(from: offset), timestamp: record.timestamp, into: &events)
        case .ipv6(let offset):
            decodeIPv6(frame.suffix(from: offset), timestamp: record.timestamp, into: &events)
        case .skipped(let reason):
            statistics.skip(reason)
        }
    }

    /// The capture has ended: whatever is still waiting is counted as given up.
    mutating func finish() {
        fragments.finish(statistics: &statistics)
        streams.finish(statistics: &statistics)
    }

    private mutating func decodeIPv4(
        _ packet: UnsafeRawBufferPointer,
        timestamp: CaptureTimestamp,
        into events: inout [CaptureEvent]
    ) {
        guard packet.count >= 20, packet[0] >> 4 == 4 else { return statistics.skip(.malformedIPv4Header) }
        let headerLength = Int(packet[0] & 0x0F) * 4
        guard headerLength >= 20, headerLength <= packet.count else { return statistics.skip(.malformedIPv4Header) }
        var totalLength = Int(packet.loadUInt16(bigEndianAt: 2))
        // A total length of 0 is what segmentation offload leaves in captures taken on the
        // sending host; the frame is then the whole datagram.
        if totalLength == 0 { totalLength = packet.count }
        guard totalLength >= headerLength else { return statistics.skip(.malformedIPv4Header) }
        guard totalLength <= packet.count else { return statistics.skip(.truncatedIPDatagram) }

        let protocolNumber = packet[9]
        guard protocolNumber == IPProtocol.udp || protocolNumber == IPProtocol.tcp else {
            return statistics.skip(.unsupportedIPProtocol(protocolNumber))
        }
        let source = IPAddress(ipv4: packet.loadUInt32(bigEndianAt: 12))
        let destination = IPAddress(ipv4: packet.loadUInt32(bigEndianAt: 16))
        let payload = packet.slice(headerLength..<totalLength)
        let flagsAndOffset = packet.loadUInt16(bigEndianAt: 6)
        let moreFragments = flagsAndOffset & 0x2000 != 0
        let fragmentOffset = Int(flagsAndOffset & 0x1FFF) * 8
        guard moreFragments || fragmentOffset != 0 else {
            return decodeTransport(
                protocolNumber,
                payload,
                source: source,
                destination: destination,
                timestamp: timestamp,
                into: &events
            )
        }

        statistics.ipv4Fragments += 1
        let key = FragmentReassembler.Key(
            source: source,
            destination: destination,
            identification: UInt32(packet.loadUInt16(bigEndianAt: 4)),
            protocolNumber: protocolNumber
        )
        switch fragments.add(
            payload,
            key: key,
            offset: fragmentOffset,
            isLast: !moreFragments,
            nextHeader: protocolNumber,
            now: clock,
            statistics: &statistics
        ) {
        case .incomplete:
            break
        case .rejected(let reason):
            statistics.skip(reason)
        case .complete(let datagram, _):
            statistics.reassembledDatagrams += 1
            datagram.withUnsafeBytes { datagram in
                decodeTransport(
                    protocolNumber,
                    datagram,
                    source: source,
                    destination: destination,
                    timestamp: timestamp,
                    into: &events
                )
            }
        }
    }

    private mutating func decodeIPv6(
        _ packet: UnsafeRawBufferPointer,
        timestamp: CaptureTimestamp,
        into events: inout [CaptureEvent]
    ) {
        guard packet.count >= 40, packet[0] >> 4 == 6 else { return statistics.skip(.malformedIPv6Header) }
        let payloadLength = Int(packet.loadUInt16(bigEndianAt: 4))
        // A payload length of 0 is a jumbogram or, in captures taken on the sending host,
        // segmentation offload: either way the frame is the whole packet.
        let end = payloadLength == 0 ? packet.count : 40 + payloadLength
        guard end <= packet.count else { return statistics.skip(.truncatedIPDatagram) }
        decodeIPv6Payload(
            packet.slice(40..<end),
            nextHeader: packet[6],
            source: IPAddress(ipv6: packet.loadUInt128(bigEndianAt: 8)),
            destination: IPAddress(ipv6: packet.loadUInt128(bigEndianAt: 24)),
            reassembled: false,
            timestamp: timestamp,
            into: &events
        )
    }

    /// Walks the extension headers in front of the transport header: hop-by-hop, routing
    /// and destination options are stepped over, a fragment header sends the rest through
    /// reassembly, anything else ends the walk.
    private mutating func decodeIPv6Payload(
        _ payload: UnsafeRawBufferPointer,
        nextHeader first: UInt8,
        source: IPAddress,
        destination: IPAddress,
        reassembled: Bool,
        timestamp: CaptureTimestamp,
        into events: inout [CaptureEvent]
    ) {
        var nextHeader = first
        var offset = 0
        while true {
            switch nextHeader {
            case IPProtocol.udp, IPProtocol.tcp:
                return decodeTransport(
                    nextHeader,
                    payload.suffix(from: offset),
                    source: source,
                    destination: destination,
                    timestamp: timestamp,
                    into: &events
                )
            case IPProtocol.hopByHop, IPProtocol.routing, IPProtocol.destinationOptions:
                guard payload.count - offset >= 8 else { return statistics.skip(.malformedIPv6Header) }
                let length = (Int(payload[offset + 1]) + 1) * 8
                guard length <= payload.count - offset else { return statistics.skip(.malformedIPv6Header) }
                nextHeader = payload[offset]
                offset += length
            case IPProtocol.fragment:
                guard payload.count - offset >= 8 else { return statistics.skip(.malformedIPv6Header) }
                let fragmentNextHeader = payload[offset]
                let offsetAndFlags = payload.loadUInt16(bigEndianAt: offset + 2)
                let fragmentOffset = Int(offsetAndFlags >> 3) * 8
                let moreFragments = offsetAndFlags & 1 != 0
                if fragmentOffset == 0, !moreFragments {
                    // An atomic fragment (RFC 6946): the whole packet, nothing to reassemble.
                    nextHeader = fragmentNextHeader
                    offset += 8
                    continue
                }
                guard !reassembled else { return statistics.skip(.malformedFragment) }
                statistics.ipv6Fragments += 1
                let key = FragmentReassembler.Key(
                    source: source,
                    destination: destination,
                    identification: payload.loadUInt32(bigEndianAt: offset + 4),
                    protocolNumber: 0
                )
                switch fragments.add(
                    payload.suffix(from: offset + 8),
                    key: key,
                    offset: fragmentOffset,
                    isLast: !moreFragments,
                    nextHeader: fragmentNextHeader,
                    now: clock,
                    statistics: &statistics
                ) {
                case .incomplete:
                    return
                case .rejected(let reason):
                    return statistics.skip(reason)
                case .complete(let datagram, let datagramNextHeader):
                    statistics.reassembledDatagrams += 1
                    return datagram.withUnsafeBytes { datagram in
                        decodeIPv6Payload(
                            datagram,
                            nextHeader: datagramNextHeader,
                            source: source,
                            destination: destination,
                            reassembled: true,
                            timestamp: timestamp,
                            into: &events
                        )
                    }
                }
            default:
                return statistics.skip(.unsupportedIPProtocol(nextHeader))
            }
        }
    }

    @inline(__always)
    private mutating func decodeTransport(
        _ protocolNumber: UInt8,
        _ segment: UnsafeRawBufferPointer,
        source: IPAddress,
        destination: IPAddress,
        timestamp: CaptureTimestamp,
        into events: inout [CaptureEvent]
    ) {
        if protocolNumber == IPProtocol.udp {
            guard segment.count >= 8 else { return statistics.skip(.malformedUDPHeader) }
            // The length field is believed only when it fits the IP payload (which may
            // carry padding after the datagram).
            let length = Int(segment.loadUInt16(bigEndianAt: 4))
            let end = length >= 8 && length <= segment.count ? length : segment.count
            statistics.udpDatagrams += 1
            events.append(
                .datagram(
                    timestamp,
                    source: CaptureEndpoint(address: source, port: segment.loadUInt16(bigEndianAt: 0)),
                    destination: CaptureEndpoint(address: destination, port: segment.loadUInt16(bigEndianAt: 2)),
                    payload: segment.copyBytes(8..<end)
                )
            )
        } else {
            guard segment.count >= 20 else { return statistics.skip(.malformedTCPHeader) }
            let headerLength = Int(segment[12] >> 4) * 4
            guard headerLength >= 20, headerLength <= segment.count else {
                return statistics.skip(.malformedTCPHeader)
            }
            statistics.tcpSegments += 1
            streams.receive(
                source: CaptureEndpoint(address: source, port: segment.loadUInt16(bigEndianAt: 0)),
                destination: CaptureEndpoint(address: destination, port: segment.loadUInt16(bigEndianAt: 2)),
                sequence: segment.loadUInt32(bigEndianAt: 4),
                flags: TCPReassembler.Flags(rawValue: segment[13]),
                payload: segment.suffix(from: headerLength),
                timestamp: timestamp,
                events: &events,
                statistics: &statistics
            )
        }
    }
}
