import AccessControl

/// Puts IPv4 and IPv6 datagrams back together from their fragments.
///
/// Fragments may arrive in any order, duplicated or overlapping: where two fragments
/// disagree about a byte, the first one read wins, so the result never depends on more
/// than the order of the capture. A datagram is complete once its last fragment (no "more
/// fragments" flag) has arrived and no hole remains. Memory is bounded: at most
/// ``maximumPending`` datagrams are held (the oldest is given up to make room), none may
/// exceed 65,535 bytes, and a datagram still incomplete 30 s of capture time after its
/// first fragment is given up.
struct FragmentReassembler: Sendable {
    /// What identifies the fragments of one datagram: RFC 791's (source, destination,
    /// protocol, identification) and RFC 8200's (source, destination, identification).
    struct Key: Hashable, Sendable {
        var source: IPAddress
        var destination: IPAddress
        var identification: UInt32
        /// The IPv4 protocol; 0 for IPv6, whose next header is known from the first fragment.
        var protocolNumber: UInt8
    }

    /// What one fragment did to its datagram.
    enum Outcome: Sendable {
        /// The datagram still has holes.
        case incomplete
        /// The datagram is whole: its payload, and the next header named by the fragment
        /// at offset 0.
        case complete([UInt8], nextHeader: UInt8)
        /// The fragment was refused.
        case rejected(CaptureSkipReason)
    }

    private struct Pending: Sendable {
        let firstSeen: CaptureTimestamp
        let serial: UInt64
        var data: [UInt8] = []
        /// The byte ranges received so far, sorted, merged, and never empty ranges.
        var filled: [Range<Int>] = []
        var totalLength: Int?
        var nextHeader: UInt8?

        var isComplete: Bool {
            guard let totalLength else { return false }
            return filled.count == 1 && filled[0] == 0..<totalLength
        }

        /// Copies the bytes of `fragment` that no earlier fragment supplied, and records
        /// the range as received.
        mutating func insert(_ fragment: UnsafeRawBufferPointer, at offset: Int) {
            let end = offset + fragment.count
            guard end > offset else { return }
            if data.count < end { data.append(contentsOf: repeatElement(0, count: end - data.count)) }
            var cursor = offset
            for range in filled where range.upperBound > cursor {
                if range.lowerBound >= end { break }
                if range.lowerBound > cursor { copy(fragment, from: offset, range: cursor..<range.lowerBound) }
                cursor = max(cursor, range.upperBound)
            }
            if cursor < end { copy(fragment, from: offset, range: cursor..<end) }

            var merged = offset..<end
            var result: [Range<Int>] = []
            result.reserveCapacity(filled.count + 1)
            var placed = false
            for range in filled {
                if range.upperBound < merged.lowerBound {
                    result.append(range)
                } else if range.lowerBound > merged.upperBound {
                    if !placed {
                        result.append(merged)
                        placed = true
                    }
                    result.append(range)
                } else {
                    merged = min(range.lowerBound, merged.lowerBound)..<max(range.upperBound, merged.upperBound)
                }
            }
            if !placed { result.append(merged) }
            filled = result
        }

        private mutating func copy(_ fragment: UnsafeRawBufferPointer, from offset: Int, range: Range<Int>) {
            data.replaceSubrange(range, with: fragment.slice((range.lowerBound - offset)..<(range.upperBound - offset)))
        }
    }

    /// The most datagrams held at once.
    static let maximumPending = 1024
    /// The largest datagram payload (IPv4's total length and IPv6's payload length are 16 bits).
    static let maximumLength = 65_535
    /// How long a datagram may wait for its fragments, in capture time.
    static let timeoutNanoseconds: Int64 = 30_000_000_000

    private var pending: [Key: Pending] = [:]
    /// The datagrams in the order their first fragment came; entries whose serial no
    /// longer matches a pending datagram are stale and skipped.
    private var arrivals: [(key: Key, serial: UInt64)] = []
    private var arrivalsHead = 0
    private var nextSerial: UInt64 = 0

    /// Adds the fragment at byte `offset` of the datagram `key`; `now` is the capture clock.
    mutating func add(
        _ fragment: UnsafeRawBufferPointer,
        key: Key,
        offset: Int,
        isLast: Bool,
        nextHeader: UInt8,
        now: CaptureTimestamp,
        statistics: inout CaptureStatistics
    ) -> Outcome {
        expire(now: now, statistics: &statistics)
        let end = offset + fragment.count
        guard end <= Self.maximumLength, isLast || (fragment.count > 0 && fragment.count % 8 == 0) else {
            return .rejected(.malformedFragment)
        }
        var entry: Pending
        if let existing = pending.removeValue(forKey: key) {
            entry = existing
        } else {
            if pending.count >= Self.maximumPending { evictOldest(statistics: &statistics) }
            entry = Pending(firstSeen: now, serial: nextSerial)
            arrivals.append((key, nextSerial))
            nextSerial += 1
        }
        if let total = entry.totalLength {
            guard end <= total, !isLast || end == total else {
                pending[key] = entry
                return .rejected(.inconsistentFragment)
            }
        } else if isLast {
            guard (entry.filled.last?.upperBound ?? 0) <= end else {
                pending[key] = entry
                return .rejected(.inconsistentFragment)
            }
            entry.totalLength = end
        }
        if offset == 0, entry.nextHeader == nil { entry.nextHeader = nextHeader }
        entry.insert(fragment, at: offset)
        if entry.isComplete {
            return .complete(entry.data, nextHeader: entry.nextHeader ?? nextHeader)
        }
        pending[key] = entry
        return .incomplete
    }

    /// Gives up the datagrams whose first fragment is more than 30 s older than `now`.
    mutating func expire(now: CaptureTimestamp, statistics: inout CaptureStatistics) {
        while arrivalsHead < arrivals.count {
            let (key, serial) = arrivals[arrivalsHead]
            if let entry = pending[key], entry.serial == serial {
                guard now.nanoseconds(since: entry.firstSeen) > Self.timeoutNanoseconds else { break }
                pending[key] = nil
                statistics.incompleteDatagrams += 1
            }
            arrivalsHead += 1
        }
        compactArrivals()
    }

    /// Gives up every datagram still waiting (the capture has ended).
    mutating func finish(statistics: inout CaptureStatistics) {
        statistics.incompleteDatagrams += pending.count
        pending.removeAll()
        arrivals.removeAll()
        arrivalsHead = 0
    }

    private mutating func evictOldest(statistics: inout CaptureStatistics) {
        while arrivalsHead < arrivals.count {
            let (key, serial) = arrivals[arrivalsHead]
            arrivalsHead += 1
            if let entry = pending[key], entry.serial == serial {
                pending[key] = nil
                statistics.incompleteDatagrams += 1
                break
            }
        }
        compactArrivals()
    }

    private mutating func compactArrivals() {
        if arrivalsHead == arrivals.count {
            arrivals.removeAll(keepingCapacity: true)
            arrivalsHead = 0
        } else if arrivalsHead >= 1024, arrivalsHead * 2 >= arrivals.count {
            arrivals.removeFirst(arrivalsHead)
            arrivalsHead = 0
        }
    }
}
