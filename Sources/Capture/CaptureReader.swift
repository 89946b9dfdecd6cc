/// Reads a packet capture, pcap or pcapng, into transport events: UDP datagrams and
/// in-order TCP stream bytes, with their time, source and destination.
///
/// ```swift
/// var reader = try CaptureReader(path: "calls.pcapng")
/// while let event = try reader.next() {
///     switch event {
///     case .datagram(let time, let source, let destination, let payload): …
///     case .stream(let time, let source, let destination, let bytes): …
///     case .streamEnded(let time, let source, let destination): …
///     }
/// }
/// print(reader.statistics.skipped)
/// ```
///
/// sipfence reads both file formats itself rather than through libpcap: libpcap refuses
/// pcapng files whose interfaces have different link types (a capture on `lo` and `any`
/// at once, or a merge of captures from different hosts), and such files are exactly what
/// operators bring. Decoding covers Ethernet (802.1Q and QinQ tags), Linux cooked capture
/// (SLL, SLL2), raw IP and BSD loopback; IPv4 and IPv6 with their fragments reassembled;
/// UDP, and TCP reassembled per direction (see ``CaptureEvent``).
///
/// A capture file is mapped into memory, not read into it (see ``init(path:)``); decoding
/// allocates only the payload of each event. A file whose structure is broken (``CaptureError``) stops the reader at the
/// broken record, after every event before it; packets that are not IP, UDP or TCP, or are
/// cut short by the snapshot length, are skipped and counted in ``statistics``.
public struct CaptureReader: Sendable {
    private enum Records: Sendable {
        case pcap(PcapFileReader)
        case pcapng(PcapngFileReader)
    }

    /// The file's name, as errors print it.
    public let name: String
    /// Whether the file is pcap or pcapng.
    public let format: CaptureFormat

    private let bytes: CaptureBytes
    private var records: Records
    private var decoder = PacketDecoder()
    private var pending: [CaptureEvent] = []
    private var pendingIndex = 0
    private var failure: CaptureError?
    private var finished = false

    /// Opens the capture file at `path` and reads its header.
    ///
    /// A regular file is mapped read-only, so a capture of any size replays in little
    /// memory; a pipe or device is read to its end first.
    ///
    /// - Throws: ``CaptureError`` when the file cannot be read, is empty, or is not a pcap
    ///   or pcapng file.
    public init(path: String) throws(CaptureError) {
        try self.init(contents: CaptureFile.contents(of: path).get(), name: path)
    }

    /// Reads a capture held in memory; `name` is what errors call it.
    ///
    /// - Throws: ``CaptureError`` when the bytes are empty or not a pcap or pcapng file.
    public init(bytes: [UInt8], name: String) throws(CaptureError) {
        try self.init(contents: .array(bytes), name: name)
    }

    private init(contents bytes: CaptureBytes, name: String) throws(CaptureError) {
        self.name = name
        self.bytes = bytes
        let records = try bytes.withUnsafeBytes { file in
            Result { () throws(CaptureError) in try Self.records(of: file, name: name) }
        }.get()
        self.records = records
        switch records {
        case .pcap: format = .pcap
        case .pcapng: format = .pcapng
        }
    }

    private static func records(of file: UnsafeRawBufferPointer, name: String) throws(CaptureError) -> Records {
        guard !file.isEmpty else {
            throw CaptureError(file: name, location: .file, offset: 0, problem: .empty)
        }
        guard file.count >= 4 else {
            throw CaptureError(
                file: name,
                location: .fileHeader,
                offset: 0,
                problem: .truncatedFileHeader(available: file.count)
            )
        }
        let magic = file.loadUInt32(at: 0, bigEndian: false)
        if magic == PcapngFileReader.BlockType.sectionHeader {
            return .pcapng(PcapngFileReader(name: name))
        }
        guard PcapFileReader.recognises(magic) else {
            throw CaptureError(
                file: name,
                location: .fileHeader,
                offset: 0,
                problem: .unknownMagic(file.loadUInt32(bigEndianAt: 0))
            )
        }
        return try .pcap(PcapFileReader(name: name, file: file))
    }

    /// What has been read so far. Complete once ``next()`` has returned `nil`: datagrams
    /// still waiting for fragments are then counted as incomplete.
    /// How much of the file the reader has read, in bytes (of ``byteCount``): for
    /// reports of a long replay's progress.
    public var bytesRead: Int {
        switch records {
        case .pcap(let reader): reader.offset
        case .pcapng(let reader): reader.offset
        }
    }

    /// The file's size in bytes.
    public var byteCount: Int {
        bytes.count
    }

    public var statistics: CaptureStatistics {
        decoder.statistics
    }

    /// The next event of the capture, or `nil` at its end.
    ///
    /// - Throws: ``CaptureError`` at the first broken record or block, and again on every
    ///   later call.
    public mutating func next() throws(CaptureError) -> CaptureEvent? {
        while true {
            if pendingIndex < pending.count {
                let event = pending[pendingIndex]
                pendingIndex += 1
                return event
            }
            pending.removeAll(keepingCapacity: true)
            pendingIndex = 0
            if let failure { throw failure }
            if finished { return nil }
            do throws(CaptureError) {
                try readRecord()
            } catch {
                failure = error
            }
        }
    }

    /// Reads one packet record and decodes it into `pending`; at the end of the file,
    /// finishes the decoder.
    private mutating func readRecord() throws(CaptureError) {
        let bytes = self.bytes
        try bytes.withUnsafeBytes { file in
            Result { () throws(CaptureError) in
                let record: CaptureRecord?
                switch records {
                case .pcap(var reader):
                    record = try reader.nextRecord(in: file)
                    records = .pcap(reader)
                case .pcapng(var reader):
                    record = try reader.nextRecord(in: file)
                    records = .pcapng(reader)
                }
                guard let record else {
                    decoder.finish()
                    finished = true
                    return
                }
                decoder.decode(record, frame: file.slice(record.data), into: &pending)
            }
        }.get()
    }
}
