/// One packet record of a capture file, before decoding: where its bytes are in the file
/// and what the record header said about them.
struct CaptureRecord: Sendable {
    /// When the packet was captured.
    var timestamp: CaptureTimestamp
    /// The link-layer header type of the interface the packet was captured on.
    var linkType: UInt32
    /// The captured bytes, as a range of the file.
    var data: Range<Int>
    /// The packet's length on the wire; more than `data.count` when the snapshot length cut it.
    var originalLength: Int
}
