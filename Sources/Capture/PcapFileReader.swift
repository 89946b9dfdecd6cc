/// Reads the records of a classic pcap file.
///
/// The 24-byte file header says the byte order (by which way round the magic number
/// reads), the timestamp unit (0xa1b2c3d4 microseconds, 0xa1b23c4d nanoseconds) and the one
/// link type of every packet. Each record is a 16-byte header (seconds, fraction, captured
/// length, original length) and the captured bytes. The "modified" pcap of old Linux
/// patches (magic 0xa1b2cd34) has 8 more bytes per record header, which are skipped.
struct PcapFileReader: Sendable {
    static let headerLength = 24

    let name: String
    let bigEndian: Bool
    let nanosecondResolution: Bool
    let recordHeaderLength: Int
    let linkType: UInt32
    private(set) var offset = PcapFileReader.headerLength
    private(set) var recordNumber = 0

    /// Whether `magic` (the first four bytes read little-endian) starts a pcap file.
    static func recognises(_ magic: UInt32) -> Bool {
        [0xA1B2_C3D4, 0xA1B2_3C4D, 0xA1B2_CD34].contains(magic)
            || [0xA1B2_C3D4, 0xA1B2_3C4D, 0xA1B2_CD34].contains(magic.byteSwapped)
    }

    /// Reads the file header of `file`, whose first four bytes `recognises` accepted.
    init(name: String, file: UnsafeRawBufferPointer) throws(CaptureError) {
        self.name = name
        guard file.count >= Self.headerLength else {
            throw CaptureError(
                file: name,
                location: .fileHeader,
                offset: 0,
                problem: .truncatedFileHeader(available: file.count)
            )
        }
        let littleMagic = file.loadUInt32(at: 0, bigEndian: false)
        let magic = [0xA1B2_C3D4, 0xA1B2_3C4D, 0xA1B2_CD34].contains(littleMagic) ? littleMagic : littleMagic.byteSwapped
        bigEndian = magic != littleMagic
        nanosecondResolution = magic == 0xA1B2_3C4D
        recordHeaderLength = magic == 0xA1B2_CD34 ? 24 : 16
        let major = file.loadUInt16(at: 4, bigEndian: bigEndian)
        let minor = file.loadUInt16(at: 6, bigEndian: bigEndian)
        guard major == 2 else {
            throw CaptureError(
                file: name,
                location: .fileHeader,
                offset: 0,
                problem: .unsupportedVersion(major: major, minor: minor)
            )
        }
        // The top bits may carry the FCS length and a flag; the link type is the low 16 bits.
        linkType = file.loadUInt32(at: 20, bigEndian: bigEndian) & 0xFFFF
    }

    /// The next record, or `nil` at the end of the file.
    mutating func nextRecord(in file: UnsafeRawBufferPointer) throws(CaptureError) -> CaptureRecord? {
        let available = file.count - offset
        guard available > 0 else { return nil }
        recordNumber += 1
        guard available >= recordHeaderLength else {
            throw error(.truncatedHeader(needed: recordHeaderLength, available: available))
        }
        let seconds = file.loadUInt32(at: offset, bigEndian: bigEndian)
        let fraction = file.loadUInt32(at: offset + 4, bigEndian: bigEndian)
        let captured = Int(file.loadUInt32(at: offset + 8, bigEndian: bigEndian))
        let original = Int(file.loadUInt32(at: offset + 12, bigEndian: bigEndian))
        let dataStart = offset + recordHeaderLength
        guard captured <= file.count - dataStart else {
            throw error(.recordPastEnd(length: captured, available: file.count - dataStart))
        }
        // A fraction of a second or more (some writers produce it) carries into the seconds.
        let nanoseconds = nanosecondResolution ? UInt64(fraction) : UInt64(fraction) * 1000
        let timestamp = CaptureTimestamp(
            seconds: Int64(seconds) + Int64(nanoseconds / 1_000_000_000),
            nanoseconds: UInt32(nanoseconds % 1_000_000_000)
        )
        offset = dataStart + captured
        return CaptureRecord(
            timestamp: timestamp,
            linkType: linkType,
            data: dataStart..<(dataStart + captured),
            originalLength: original
        )
    }

    private func error(_ problem: CaptureError.Problem) -> CaptureError {
        CaptureError(file: name, location: .record(recordNumber), offset: offset, problem: problem)
    }
}
