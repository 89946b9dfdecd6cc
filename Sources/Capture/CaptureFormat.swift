/// The file format of a capture, recognised by its first four bytes.
public enum CaptureFormat: Hashable, Sendable {
    /// The classic libpcap format: one link type for the whole file.
    case pcap
    /// pcapng: sections of blocks, each section with its own byte order and interfaces.
    case pcapng
}

extension CaptureFormat: CustomStringConvertible {
    /// `pcap` or `pcapng`.
    public var description: String {
        switch self {
        case .pcap: "pcap"
        case .pcapng: "pcapng"
        }
    }
}
