/// Why a packet in a capture produced no event.
///
/// None of these stops reading: captures routinely hold ARP, ICMP, other protocols and
/// packets cut short by the snapshot length. ``CaptureStatistics/skipped`` counts them so
/// that a report can say what was left out.
public enum CaptureSkipReason: Hashable, Sendable {
    /// The record holds fewer bytes than the packet had on the wire (snapshot length).
    case truncatedBySnapshotLength
    /// The interface's link-layer header type is not one sipfence decodes.
    case unsupportedLinkType(UInt32)
    /// The frame is shorter than its link-layer header.
    case truncatedLinkHeader
    /// The link layer carries something other than IPv4 or IPv6 (ARP, LLDP, …).
    case notIP(etherType: UInt16)
    /// A BSD loopback header names an address family other than IPv4 or IPv6.
    case unsupportedAddressFamily(UInt32)
    /// A raw-IP frame whose first nibble is neither 4 nor 6.
    case unknownIPVersion(UInt8)
    /// An IPv4 header that is too short, has a bad version or header length, or a total
    /// length shorter than its header.
    case malformedIPv4Header
    /// An IPv6 header or extension header that is too short or runs past the packet.
    case malformedIPv6Header
    /// The IP header promises more bytes than the frame holds.
    case truncatedIPDatagram
    /// The IP payload is neither UDP nor TCP (ICMP, ESP, AH, "no next header", …).
    case unsupportedIPProtocol(UInt8)
    /// A fragment that cannot belong to a valid datagram: past 65,535 bytes, a non-final
    /// fragment whose length is not a multiple of 8, or a fragment inside a fragment.
    case malformedFragment
    /// A fragment that contradicts fragments already held for its datagram (a second,
    /// different end, or data past the end).
    case inconsistentFragment
    /// A UDP header shorter than 8 bytes.
    case malformedUDPHeader
    /// A TCP header shorter than 20 bytes or with a data offset outside the segment.
    case malformedTCPHeader
}

extension CaptureSkipReason: CustomStringConvertible {
    /// A short phrase for a report line: `unsupported link type 105`, `not IP (EtherType 0x0806)`.
    public var description: String {
        switch self {
        case .truncatedBySnapshotLength:
            "truncated by the snapshot length"
        case .unsupportedLinkType(let linkType):
            "unsupported link type \(linkType)"
        case .truncatedLinkHeader:
            "frame shorter than its link-layer header"
        case .notIP(let etherType):
            "not IP (EtherType 0x\(Self.hex(etherType)))"
        case .unsupportedAddressFamily(let family):
            "not IP (address family \(family))"
        case .unknownIPVersion(let version):
            "unknown IP version \(version)"
        case .malformedIPv4Header:
            "malformed IPv4 header"
        case .malformedIPv6Header:
            "malformed IPv6 header"
        case .truncatedIPDatagram:
            "IP datagram longer than the captured frame"
        case .unsupportedIPProtocol(let number):
            "IP protocol \(number)\(Self.protocolName(number)) (not UDP or TCP)"
        case .malformedFragment:
            "malformed IP fragment"
        case .inconsistentFragment:
            "IP fragment inconsistent with earlier fragments"
        case .malformedUDPHeader:
            "malformed UDP header"
        case .malformedTCPHeader:
            "malformed TCP header"
        }
    }

    private static func hex(_ value: UInt16) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }

    private static func protocolName(_ number: UInt8) -> String {
        switch number {
        case 1: " ICMP"
        case 2: " IGMP"
        case 47: " GRE"
        case 50: " ESP"
        case 51: " AH"
        case 58: " ICMPv6"
        case 59: " no next header"
        case 89: " OSPF"
        case 132: " SCTP"
        default: ""
        }
    }
}
