/// The TTLs in a DNS reply that c-ares 1.18's parsers do not report.
///
/// `ares_parse_srv_reply` returns SRV records without their TTL, and c-ares reports a
/// negative answer as a status code only, without the SOA record whose fields say how
/// long the negative answer holds (RFC 2308 §5). This reads just those numbers from the
/// reply's fixed-layout record headers (RFC 1035 §4.1); c-ares has already checked the
/// reply and parsed its records. A reply that cannot be read gives no TTLs, so nothing
/// from it is cached.
struct DNSReplyTTLs: Hashable, Sendable {
    /// The smallest TTL, in seconds, of the answer section's records; `nil` when it has none.
    var answerTTL: Int?
    /// The negative-answer TTL, in seconds, of the authority section's SOA record: the
    /// smaller of the record's TTL and its MINIMUM field (RFC 2308 §5); `nil` without one.
    var negativeTTL: Int?

    private static let soaType = 6

    /// No TTLs, for a status that came without a reply.
    init() {}

    /// The TTLs of `reply`, a whole DNS message.
    init(reply: UnsafeRawBufferPointer) {
        var reader = Reader(bytes: reply)
        guard let header = reader.take(12) else { return }
        let questionCount = Int(header[4]) << 8 | Int(header[5])
        let answerCount = Int(header[6]) << 8 | Int(header[7])
        let authorityCount = Int(header[8]) << 8 | Int(header[9])
        for _ in 0..<questionCount {
            guard reader.skipName(), reader.take(4) != nil else { return }
        }
        for _ in 0..<answerCount {
            guard let record = reader.recordHeader(), reader.take(record.dataLength) != nil else { return }
            answerTTL = min(answerTTL ?? record.ttl, record.ttl)
        }
        for _ in 0..<authorityCount {
            guard let record = reader.recordHeader() else { return }
            guard record.type == Self.soaType else {
                guard reader.take(record.dataLength) != nil else { return }
                continue
            }
            // SOA RDATA: MNAME, RNAME, then SERIAL, REFRESH, RETRY, EXPIRE, MINIMUM (RFC 1035 §3.3.13).
            guard reader.skipName(), reader.skipName(), let numbers = reader.take(20) else { return }
            let minimum = Self.ttl(numbers[16], numbers[17], numbers[18], numbers[19])
            negativeTTL = min(record.ttl, minimum)
            return
        }
    }

    /// A TTL from its four bytes; values with the top bit set count as 0 (RFC 2181 §8).
    static func ttl(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8) -> Int {
        let value = UInt32(b0) << 24 | UInt32(b1) << 16 | UInt32(b2) << 8 | UInt32(b3)
        return value > UInt32(Int32.max) ? 0 : Int(value)
    }

    /// A bounds-checked cursor over the reply.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        /// The next `count` bytes, or `nil` when the reply is shorter.
        mutating func take(_ count: Int) -> UnsafeRawBufferPointer? {
            guard count >= 0, count <= bytes.count - offset else { return nil }
            defer { offset += count }
            return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
        }

        /// Steps over a domain name: labels up to the root, or up to a compression pointer.
        mutating func skipName() -> Bool {
            while let length = take(1)?[0] {
                switch length & 0xC0 {
                case 0xC0: return take(1) != nil
                case 0x00:
                    if length == 0 { return true }
                    guard take(Int(length)) != nil else { return false }
                default: return false
                }
            }
            return false
        }

        /// The type, TTL and data length of the next resource record.
        mutating func recordHeader() -> (type: Int, ttl: Int, dataLength: Int)? {
            guard skipName(), let fixed = take(10) else { return nil }
            let type = Int(fixed[0]) << 8 | Int(fixed[1])
            let ttl = DNSReplyTTLs.ttl(fixed[4], fixed[5], fixed[6], fixed[7])
            let dataLength = Int(fixed[8]) << 8 | Int(fixed[9])
            return (type, ttl, dataLength)
        }
    }
}
