/// Finds the IP packet inside a link-layer frame.
///
/// The link types decoded are those sipfence's captures come from: Ethernet (with any
/// stack of 802.1Q and QinQ tags), Linux cooked capture (`-i any`, SLL and SLL2), raw IP,
/// and BSD loopback (NULL and LOOP). Any other link type skips the packet.
enum LinkLayer {
    /// Where a frame's IP packet starts, or why it has none.
    enum NetworkPacket: Sendable {
        case ipv4(offset: Int)
        case ipv6(offset: Int)
        case skipped(CaptureSkipReason)
    }

    /// Link-layer header type numbers, from the tcpdump.org registry.
    enum LinkType {
        static let null: UInt32 = 0
        static let ethernet: UInt32 = 1
        static let raw12: UInt32 = 12
        static let raw14: UInt32 = 14
        static let raw: UInt32 = 101
        static let loop: UInt32 = 108
        static let linuxSLL: UInt32 = 113
        static let ipv4: UInt32 = 228
        static let ipv6: UInt32 = 229
        static let linuxSLL2: UInt32 = 276
    }

    enum EtherType {
        static let ipv4: UInt16 = 0x0800
        static let ipv6: UInt16 = 0x86DD
        static let vlan: UInt16 = 0x8100
        static let qinq: UInt16 = 0x88A8
        static let qinqLegacy: UInt16 = 0x9100
    }

    /// Locates the IP packet in `frame`, captured on an interface of `linkType`.
    @inline(__always)
    static func networkPacket(in frame: UnsafeRawBufferPointer, linkType: UInt32) -> NetworkPacket {
        switch linkType {
        case LinkType.ethernet:
            return ethernet(frame)
        case LinkType.linuxSLL:
            // Packet type, ARPHRD type, address length, 8 address bytes, protocol.
            guard frame.count >= 16 else { return .skipped(.truncatedLinkHeader) }
            return byEtherType(frame.loadUInt16(bigEndianAt: 14), offset: 16)
        case LinkType.linuxSLL2:
            // Protocol, reserved, interface index, ARPHRD type, packet type, address
            // length, 8 address bytes.
            guard frame.count >= 20 else { return .skipped(.truncatedLinkHeader) }
            return byEtherType(frame.loadUInt16(bigEndianAt: 0), offset: 20)
        case LinkType.raw, LinkType.raw12, LinkType.raw14:
            guard frame.count >= 1 else { return .skipped(.truncatedLinkHeader) }
            switch frame[0] >> 4 {
            case 4: return .ipv4(offset: 0)
            case 6: return .ipv6(offset: 0)
            case let version: return .skipped(.unknownIPVersion(version))
            }
        case LinkType.ipv4:
            return .ipv4(offset: 0)
        case LinkType.ipv6:
            return .ipv6(offset: 0)
        case LinkType.null:
            // The address family in the capturing host's byte order: families are small,
            // so a value with high bits set was written the other way round.
            guard frame.count >= 4 else { return .skipped(.truncatedLinkHeader) }
            var family = frame.loadUInt32(at: 0, bigEndian: false)
            if family & 0xFFFF_0000 != 0 { family = family.byteSwapped }
            return byAddressFamily(family)
        case LinkType.loop:
            guard frame.count >= 4 else { return .skipped(.truncatedLinkHeader) }
            return byAddressFamily(frame.loadUInt32(bigEndianAt: 0))
        default:
            return .skipped(.unsupportedLinkType(linkType))
        }
    }

    @inline(__always)
    private static func ethernet(_ frame: UnsafeRawBufferPointer) -> NetworkPacket {
        // Destination, source, EtherType; each VLAN tag inserts its TPID and TCI before
        // the EtherType, and tags may be stacked.
        var offset = 12
        while true {
            guard frame.count >= offset + 2 else { return .skipped(.truncatedLinkHeader) }
            let etherType = frame.loadUInt16(bigEndianAt: offset)
            switch etherType {
            case EtherType.vlan, EtherType.qinq, EtherType.qinqLegacy:
                offset += 4
            default:
                return byEtherType(etherType, offset: offset + 2)
            }
        }
    }

    @inline(__always)
    private static func byEtherType(_ etherType: UInt16, offset: Int) -> NetworkPacket {
        switch etherType {
        case EtherType.ipv4: .ipv4(offset: offset)
        case EtherType.ipv6: .ipv6(offset: offset)
        default: .skipped(.notIP(etherType: etherType))
        }
    }

    private static func byAddressFamily(_ family: UInt32) -> NetworkPacket {
        switch family {
        case 2: .ipv4(offset: 4)  // AF_INET everywhere
        case 10, 24, 28, 30: .ipv6(offset: 4)  // AF_INET6: Linux, OpenBSD/NetBSD, FreeBSD, Darwin
        default: .skipped(.unsupportedAddressFamily(family))
        }
    }
}
