/// Reads the packet blocks of a pcapng file.
///
/// A pcapng file is a sequence of sections. Each starts with a Section Header Block, whose
/// byte-order magic says the byte order of the whole section, and describes its own
/// interfaces (Interface Description Blocks: link type, snapshot length, timestamp
/// resolution and offset). Packets come in Enhanced Packet Blocks (naming an interface),
/// Simple Packet Blocks (interface 0, no timestamp) and obsolete Packet Blocks. Every other
/// block (name resolution, statistics, decryption secrets, custom, …) is skipped by its
/// length. Every block's lengths are checked: at least 12, a multiple of 4, inside the
/// file, and the same at both ends.
struct PcapngFileReader: Sendable {
    enum BlockType {
        static let sectionHeader: UInt32 = 0x0A0D_0D0A
        static let interfaceDescription: UInt32 = 1
        static let packet: UInt32 = 2
        static let simplePacket: UInt32 = 3
        static let enhancedPacket: UInt32 = 6
    }

    static let byteOrderMagic: UInt32 = 0x1A2B_3C4D

    let name: String
    private var bigEndian = false
    private var interfaces: [PcapngInterface] = []
    /// Where the next block starts, in bytes from the file's start.
    private(set) var offset = 0
    private var blockNumber = 0
    /// The latest packet time, given to Simple Packet Blocks, which carry none.
    private var lastTimestamp = CaptureTimestamp.zero

    init(name: String) {
        self.name = name
    }

    /// The next packet, or `nil` at the end of the file.
    mutating func nextRecord(in file: UnsafeRawBufferPointer) throws(CaptureError) -> CaptureRecord? {
        while true {
            let available = file.count - offset
            guard available > 0 else { return nil }
            blockNumber += 1
            guard available >= 12 else {
                throw error(.truncatedHeader(needed: 12, available: available))
            }
            let type = file.loadUInt32(at: offset, bigEndian: bigEndian)
            if type == BlockType.sectionHeader {
                // The section's byte order must be known before its length can be read.
                let magic = file.loadUInt32(at: offset + 8, bigEndian: false)
                switch magic {
                case Self.byteOrderMagic: bigEndian = false
                case Self.byteOrderMagic.byteSwapped: bigEndian = true
                default: throw error(.unknownByteOrderMagic(magic))
                }
            }
            let length = Int(file.loadUInt32(at: offset + 4, bigEndian: bigEndian))
            guard length >= 12 else { throw error(.blockTooShort(length: length, minimum: 12)) }
            guard length % 4 == 0 else { throw error(.misalignedBlockLength(length)) }
            guard length <= available else { throw error(.blockPastEnd(length: length, available: available)) }
            let trailing = Int(file.loadUInt32(at: offset + length - 4, bigEndian: bigEndian))
            guard trailing == length else {
                throw error(.trailingLengthMismatch(leading: length, trailing: trailing))
            }
            let body = file.slice((offset + 8)..<(offset + length - 4))
            let record: CaptureRecord?
            switch type {
            case BlockType.sectionHeader:
                try readSectionHeader(body, length: length)
                record = nil
            case BlockType.interfaceDescription:
                try readInterfaceDescription(body, length: length)
                record = nil
            case BlockType.enhancedPacket:
                record = try readEnhancedPacket(body, length: length)
            case BlockType.simplePacket:
                record = try readSimplePacket(body, length: length)
            case BlockType.packet:
                record = try readPacket(body, length: length)
            default:
                record = nil
            }
            offset += length
            if let record { return record }
        }
    }

    private mutating func readSectionHeader(_ body: UnsafeRawBufferPointer, length: Int) throws(CaptureError) {
        // Byte-order magic, major and minor version, section length.
        guard body.count >= 16 else { throw error(.blockTooShort(length: length, minimum: 28)) }
        let major = body.loadUInt16(at: 4, bigEndian: bigEndian)
        let minor = body.loadUInt16(at: 6, bigEndian: bigEndian)
        guard major == 1 else { throw error(.unsupportedVersion(major: major, minor: minor)) }
        interfaces.removeAll(keepingCapacity: true)
    }

    private mutating func readInterfaceDescription(_ body: UnsafeRawBufferPointer, length: Int) throws(CaptureError) {
        // Link type (16 bits), reserved (16), snapshot length (32), options.
        guard body.count >= 8 else { throw error(.blockTooShort(length: length, minimum: 20)) }
        var interface = PcapngInterface(
            linkType: UInt32(body.loadUInt16(at: 0, bigEndian: bigEndian)),
            snapLength: body.loadUInt32(at: 4, bigEndian: bigEndian)
        )
        var option = 8
        while option + 4 <= body.count {
            let code = body.loadUInt16(at: option, bigEndian: bigEndian)
            let valueLength = Int(body.loadUInt16(at: option + 2, bigEndian: bigEndian))
            if code == 0 { break }  // opt_endofopt
            let value = option + 4
            guard valueLength <= body.count - value else {
                throw error(.malformedOption(code: code, length: valueLength))
            }
            switch code {
            case 9:  // if_tsresol
                guard valueLength == 1 else { throw error(.malformedOption(code: code, length: valueLength)) }
                guard let resolution = PcapngInterface.Resolution(optionValue: body[value]) else {
                    throw error(.unsupportedTimestampResolution(body[value]))
                }
                interface.resolution = resolution
            case 14:  // if_tsoffset
                guard valueLength == 8 else { throw error(.malformedOption(code: code, length: valueLength)) }
                interface.offsetSeconds = Int64(bitPattern: body.loadUInt64(at: value, bigEndian: bigEndian))
            default:
                break
            }
            option = value + (valueLength + 3) & ~3
        }
        interfaces.append(interface)
    }

    private mutating func readEnhancedPacket(
        _ body: UnsafeRawBufferPointer,
        length: Int
    ) throws(CaptureError) -> CaptureRecord {
        // Interface ID (32 bits), timestamp (high, low), captured length, original
        // length, data, options.
        guard body.count >= 20 else { throw error(.blockTooShort(length: length, minimum: 32)) }
        return try readTimestampedPacket(body, interfaceID: Int(body.loadUInt32(at: 0, bigEndian: bigEndian)))
    }

    private mutating func readSimplePacket(
        _ body: UnsafeRawBufferPointer,
        length: Int
    ) throws(CaptureError) -> CaptureRecord {
        // Original length, then data: as much as the block and interface 0's snapshot
        // length allow.
        guard body.count >= 4 else { throw error(.blockTooShort(length: length, minimum: 16)) }
        let interface = try interface(0)
        let original = Int(body.loadUInt32(at: 0, bigEndian: bigEndian))
        var captured = min(original, body.count - 4)
        if interface.snapLength > 0 { captured = min(captured, Int(interface.snapLength)) }
        let start = offset + 8 + 4
        return CaptureRecord(
            timestamp: lastTimestamp,
            linkType: interface.linkType,
            data: start..<(start + captured),
            originalLength: original
        )
    }

    private mutating func readPacket(
        _ body: UnsafeRawBufferPointer,
        length: Int
    ) throws(CaptureError) -> CaptureRecord {
        // The obsolete Packet Block: as an Enhanced Packet Block, but for a 16-bit
        // interface ID followed by a 16-bit drops count.
        guard body.count >= 20 else { throw error(.blockTooShort(length: length, minimum: 32)) }
        return try readTimestampedPacket(body, interfaceID: Int(body.loadUInt16(at: 0, bigEndian: bigEndian)))
    }

    /// The packet of an Enhanced or obsolete Packet Block: from byte 4 on, timestamp
    /// (high, low), captured length, original length, data.
    private mutating func readTimestampedPacket(
        _ body: UnsafeRawBufferPointer,
        interfaceID: Int
    ) throws(CaptureError) -> CaptureRecord {
        let interface = try interface(interfaceID)
        let units =
            UInt64(body.loadUInt32(at: 4, bigEndian: bigEndian)) << 32
            | UInt64(body.loadUInt32(at: 8, bigEndian: bigEndian))
        let captured = Int(body.loadUInt32(at: 12, bigEndian: bigEndian))
        let original = Int(body.loadUInt32(at: 16, bigEndian: bigEndian))
        guard captured <= body.count - 20 else {
            throw error(.packetPastBlock(captured: captured, available: body.count - 20))
        }
        lastTimestamp = interface.timestamp(units: units)
        let start = offset + 8 + 20
        return CaptureRecord(
            timestamp: lastTimestamp,
            linkType: interface.linkType,
            data: start..<(start + captured),
            originalLength: original
        )
    }

    private func interface(_ id: Int) throws(CaptureError) -> PcapngInterface {
        guard id < interfaces.count else {
            throw error(.undescribedInterface(id: id, described: interfaces.count))
        }
        return interfaces[id]
    }

    private func error(_ problem: CaptureError.Problem) -> CaptureError {
        CaptureError(file: name, location: .block(blockNumber), offset: offset, problem: problem)
    }
}
