/// What a ``CaptureReader`` has read so far: packets, what became of them, and why the
/// rest were skipped.
public struct CaptureStatistics: Hashable, Sendable {
    /// Packet records read: pcap records; pcapng Enhanced, Simple and (obsolete) Packet
    /// Blocks.
    public var packets: Int = 0
    /// UDP datagrams delivered as ``CaptureEvent/datagram(_:source:destination:payload:)``,
    /// reassembled ones included.
    public var udpDatagrams: Int = 0
    /// TCP segments decoded, pure acknowledgements included.
    public var tcpSegments: Int = 0
    /// TCP payload bytes delivered in ``CaptureEvent/stream(_:source:destination:bytes:)``.
    public var tcpBytesDelivered: Int = 0
    /// TCP payload bytes seen again (retransmitted or overlapping) and not delivered twice.
    public var tcpBytesRetransmitted: Int = 0
    /// Times a direction's out-of-order buffer filled up while waiting for bytes the
    /// capture never held, so that the stream was resumed after the gap.
    public var tcpGaps: Int = 0
    /// TCP bytes held out of order and never delivered: the capture ended, or a RST or FIN
    /// came, before the bytes in front of them.
    public var tcpBytesUndelivered: Int = 0
    /// IPv4 fragments read.
    public var ipv4Fragments: Int = 0
    /// IPv6 fragments read (atomic fragments, offset 0 without more fragments, excluded).
    public var ipv6Fragments: Int = 0
    /// IPv4 and IPv6 datagrams reassembled from fragments.
    public var reassembledDatagrams: Int = 0
    /// Fragmented datagrams given up: timed out after 30 s of capture time, evicted to
    /// bound memory, or still incomplete at the end of the capture.
    public var incompleteDatagrams: Int = 0
    /// Packets (or reassembled datagrams) that produced nothing, by reason.
    public var skipped: [CaptureSkipReason: Int] = [:]

    /// An empty tally.
    public init() {}

    /// All skipped packets together.
    public var skippedPackets: Int {
        skipped.values.reduce(0, +)
    }

    mutating func skip(_ reason: CaptureSkipReason) {
        skipped[reason, default: 0] += 1
    }
}
