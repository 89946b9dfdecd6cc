/// Why a capture file cannot be read: the file, where in it, and what was wrong.
///
/// Only the file's own structure is an error: a bad magic number, a record or block that
/// runs past the end, lengths that contradict each other, a packet naming an interface
/// that was never described. Packets that are merely not SIP, or cut short by the snapshot
/// length, are skipped and counted in ``CaptureStatistics`` instead.
///
/// The description is the sentence the command line prints before exiting with status 2:
/// `calls.pcapng: block 7 at byte offset 1240: block length 64 runs past the end of the
/// file (only 20 bytes left)`.
public struct CaptureError: Error, Hashable, Sendable {
    /// Where in the file the problem is.
    public enum Location: Hashable, Sendable {
        /// The file as a whole (it could not be read).
        case file
        /// The pcap file header.
        case fileHeader
        /// The pcap packet record with this 1-based number.
        case record(Int)
        /// The pcapng block with this 1-based number (the first Section Header Block is 1).
        case block(Int)
    }

    /// What was wrong.
    public enum Problem: Hashable, Sendable {
        /// The file could not be opened or read; the operating system's reason.
        case unreadable(String)
        /// The file holds no bytes.
        case empty
        /// The first four bytes are neither a pcap nor a pcapng magic number.
        case unknownMagic(UInt32)
        /// The pcap file header is shorter than 24 bytes.
        case truncatedFileHeader(available: Int)
        /// A pcap major version other than 2, or a pcapng section major version other than 1.
        case unsupportedVersion(major: UInt16, minor: UInt16)
        /// Fewer bytes remain than a record or block header needs.
        case truncatedHeader(needed: Int, available: Int)
        /// A record's captured length runs past the end of the file.
        case recordPastEnd(length: Int, available: Int)
        /// A pcapng Section Header Block whose byte-order magic is not 0x1A2B3C4D either way round.
        case unknownByteOrderMagic(UInt32)
        /// A pcapng block length shorter than the 12 bytes every block has, or than the
        /// fixed fields of its type.
        case blockTooShort(length: Int, minimum: Int)
        /// A pcapng block length that is not a multiple of 4.
        case misalignedBlockLength(Int)
        /// A pcapng block length that runs past the end of the file.
        case blockPastEnd(length: Int, available: Int)
        /// A pcapng block whose trailing length differs from its leading length.
        case trailingLengthMismatch(leading: Int, trailing: Int)
        /// A packet's captured length runs past the end of its pcapng block.
        case packetPastBlock(captured: Int, available: Int)
        /// A pcapng packet names an interface the section has not described.
        case undescribedInterface(id: Int, described: Int)
        /// A pcapng option whose value runs past its block or has the wrong length.
        case malformedOption(code: UInt16, length: Int)
        /// An `if_tsresol` option whose resolution is finer than 10⁻¹⁹ or 2⁻⁶³ s.
        case unsupportedTimestampResolution(UInt8)
    }

    /// The name of the file, as given to ``CaptureReader``.
    public let file: String
    /// Where the problem is.
    public let location: Location
    /// The byte offset of the record or block (0 for the file header or the whole file).
    public let offset: Int
    /// What was wrong.
    public let problem: Problem

    /// An error at `location`, starting `offset` bytes into `file`.
    public init(file: String, location: Location, offset: Int, problem: Problem) {
        self.file = file
        self.location = location
        self.offset = offset
        self.problem = problem
    }
}

extension CaptureError: CustomStringConvertible {
    /// `FILE: record N at byte offset O: what was wrong`.
    public var description: String {
        switch location {
        case .file:
            "\(file): \(problem)"
        case .fileHeader:
            "\(file): file header at byte offset \(offset): \(problem)"
        case .record(let number):
            "\(file): record \(number) at byte offset \(offset): \(problem)"
        case .block(let number):
            "\(file): block \(number) at byte offset \(offset): \(problem)"
        }
    }
}

extension CaptureError.Problem: CustomStringConvertible {
    /// A phrase saying what was wrong, with the numbers involved.
    public var description: String {
        switch self {
        case .unreadable(let reason):
            "cannot read the file: \(reason)"
        case .empty:
            "the file is empty"
        case .unknownMagic(let magic):
            "not a pcap or pcapng file (magic number 0x\(hex(magic)))"
        case .truncatedFileHeader(let available):
            "file header cut short: 24 bytes needed, only \(available) in the file"
        case .unsupportedVersion(let major, let minor):
            "unsupported format version \(major).\(minor)"
        case .truncatedHeader(let needed, let available):
            "header cut short: \(needed) bytes needed, only \(available) left in the file"
        case .recordPastEnd(let length, let available):
            "captured length \(length) runs past the end of the file (only \(available) bytes left)"
        case .unknownByteOrderMagic(let magic):
            "section header has an unknown byte-order magic 0x\(hex(magic))"
        case .blockTooShort(let length, let minimum):
            "block length \(length) is shorter than the \(minimum) bytes this block needs"
        case .misalignedBlockLength(let length):
            "block length \(length) is not a multiple of 4"
        case .blockPastEnd(let length, let available):
            "block length \(length) runs past the end of the file (only \(available) bytes left)"
        case .trailingLengthMismatch(let leading, let trailing):
            "trailing block length \(trailing) differs from the leading length \(leading)"
        case .packetPastBlock(let captured, let available):
            "captured length \(captured) runs past the end of the block (room for \(available) bytes)"
        case .undescribedInterface(let id, let described):
            "packet names interface \(id), but the section describes \(described) interface\(described == 1 ? "" : "s")"
        case .malformedOption(let code, let length):
            "option \(code) with length \(length) is malformed or runs past the end of the block"
        case .unsupportedTimestampResolution(let value):
            "unsupported timestamp resolution (if_tsresol 0x\(hex(UInt32(value))))"
        }
    }

    private func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, (value > 0xFF ? 8 : 2) - digits.count)) + digits
    }
}
