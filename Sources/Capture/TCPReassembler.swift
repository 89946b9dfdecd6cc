/// Turns TCP segments into the in-order byte stream of each direction of each connection.
///
/// A direction is keyed by (source address, source port, destination address, destination
/// port). Its stream starts after the SYN (at the SYN's sequence number + 1) when the
/// capture holds the SYN, otherwise at the first segment with data (a capture started in
/// the middle of a connection). Bytes are delivered in sequence order, each once:
/// retransmitted and overlapping bytes are dropped, and segments that arrive ahead of a
/// hole are held (at most ``bufferLimit`` bytes and ``segmentLimit`` segments a direction)
/// until the hole is filled. If the capture never fills it, the direction is ended and
/// resumed after the hole once the buffer is full. Sequence numbers are compared modulo 2³².
/// FIN ends a direction once every byte before it has been delivered; RST ends both
/// directions at once. An ended direction is remembered for a minute of capture time, so
/// that late retransmissions of its data are recognised and not delivered again.
struct TCPReassembler: Sendable {
    static let bufferLimit = 1 << 20
    static let segmentLimit = 4096
    static let closedRetentionNanoseconds: Int64 = 60_000_000_000

    struct Flags: OptionSet, Sendable {
        let rawValue: UInt8
        static let fin = Flags(rawValue: 0x01)
        static let syn = Flags(rawValue: 0x02)
        static let rst = Flags(rawValue: 0x04)
    }

    private struct FlowKey: Hashable, Sendable {
        var source: CaptureEndpoint
        var destination: CaptureEndpoint
    }

    private struct Segment: Sendable {
        var sequence: UInt32
        var bytes: [UInt8]
    }

    /// One direction of one connection.
    private struct Direction: Sendable {
        let key: FlowKey
        /// The sequence number of the next byte to deliver.
        var nextSequence: UInt32
        /// The SYN's sequence number, when the capture held it.
        var initialSequence: UInt32?
        /// The sequence number the FIN occupies, once a FIN has been seen.
        var finSequence: UInt32?
        /// Segments ahead of `nextSequence`, in sequence order.
        var held: [Segment] = []
        var heldBytes = 0
        var isOpen = true
        /// Bumped whenever the direction closes, so stale entries of the closed list can be told apart.
        var generation: UInt64 = 0

        init(key: FlowKey, nextSequence: UInt32, initialSequence: UInt32?) {
            self.key = key
            self.nextSequence = nextSequence
            self.initialSequence = initialSequence
        }

        /// Restarts the direction as a new stream beginning at `nextSequence`.
        mutating func restart(nextSequence: UInt32, initialSequence: UInt32?, statistics: inout CaptureStatistics) {
            statistics.tcpBytesUndelivered += heldBytes
            self.nextSequence = nextSequence
            self.initialSequence = initialSequence
            finSequence = nil
            held.removeAll()
            heldBytes = 0
            isOpen = true
        }

        /// How far `sequence` is ahead of the next byte to deliver (negative: behind).
        @inline(__always)
        func distance(to sequence: UInt32) -> Int {
            Int(Int32(bitPattern: sequence &- nextSequence))
        }

        mutating func accept(
            sequence: UInt32,
            payload: UnsafeRawBufferPointer,
            fin: Bool,
            timestamp: CaptureTimestamp,
            events: inout [CaptureEvent],
            statistics: inout CaptureStatistics
        ) {
            let length = payload.count
            if fin, finSequence == nil {
                finSequence = sequence &+ UInt32(truncatingIfNeeded: length)
            }
            if length > 0 {
                let distance = distance(to: sequence)
                if distance <= 0 {
                    let overlap = -distance
                    if overlap >= length {
                        statistics.tcpBytesRetransmitted += length
                    } else {
                        statistics.tcpBytesRetransmitted += overlap
                        var bytes = payload.copyBytes(overlap..<length)
                        nextSequence &+= UInt32(truncatingIfNeeded: length - overlap)
                        if !held.isEmpty { drainHeld(into: &bytes, statistics: &statistics) }
                        deliver(bytes, timestamp: timestamp, events: &events, statistics: &statistics)
                    }
                } else {
                    hold(Segment(sequence: sequence, bytes: payload.copyBytes(0..<length)), distance: distance)
                    while heldBytes > TCPReassembler.bufferLimit || held.count > TCPReassembler.segmentLimit {
                        skipGap(timestamp: timestamp, events: &events, statistics: &statistics)
                    }
                }
            }
            if let finSequence, distance(to: finSequence) <= 0 {
                close(timestamp: timestamp, events: &events, statistics: &statistics)
            }
        }

        /// Ends the stream: held bytes are given up, and the caller is told.
        mutating func close(
            timestamp: CaptureTimestamp,
            events: inout [CaptureEvent],
            statistics: inout CaptureStatistics
        ) {
            if let finSequence, distance(to: finSequence) == 0 { nextSequence &+= 1 }  // the FIN's own number
            statistics.tcpBytesUndelivered += heldBytes
            held.removeAll()
            heldBytes = 0
            isOpen = false
            generation &+= 1
            events.append(.streamEnded(timestamp, source: key.source, destination: key.destination))
        }

        private mutating func hold(_ segment: Segment, distance: Int) {
            // Keep `held` sorted by distance; equal starts keep their arrival order, so the
            // earlier copy of a byte wins when they are drained.
            var index = held.count
            while index > 0, self.distance(to: held[index - 1].sequence) > distance { index -= 1 }
            held.insert(segment, at: index)
            heldBytes += segment.bytes.count
        }

        /// Appends to `bytes` every held segment that now continues the stream.
        private mutating func drainHeld(into bytes: inout [UInt8], statistics: inout CaptureStatistics) {
            var taken = 0
            for segment in held {
                let distance = distance(to: segment.sequence)
                guard distance <= 0 else { break }
                taken += 1
                heldBytes -= segment.bytes.count
                let overlap = -distance
                if overlap >= segment.bytes.count {
                    statistics.tcpBytesRetransmitted += segment.bytes.count
                } else {
                    statistics.tcpBytesRetransmitted += overlap
                    bytes.append(contentsOf: segment.bytes[overlap...])
                    nextSequence &+= UInt32(truncatingIfNeeded: segment.bytes.count - overlap)
                }
            }
            held.removeFirst(taken)
        }

        /// Gives up waiting for the bytes in front of the first held segment: the stream
        /// ends and resumes at that segment.
        private mutating func skipGap(
            timestamp: CaptureTimestamp,
            events: inout [CaptureEvent],
            statistics: inout CaptureStatistics
        ) {
            guard let first = held.first else { return }
            statistics.tcpGaps += 1
            events.append(.streamEnded(timestamp, source: key.source, destination: key.destination))
            nextSequence = first.sequence
            var bytes: [UInt8] = []
            drainHeld(into: &bytes, statistics: &statistics)
            deliver(bytes, timestamp: timestamp, events: &events, statistics: &statistics)
        }

        private func deliver(
            _ bytes: [UInt8],
            timestamp: CaptureTimestamp,
            events: inout [CaptureEvent],
            statistics: inout CaptureStatistics
        ) {
            statistics.tcpBytesDelivered += bytes.count
            events.append(.stream(timestamp, source: key.source, destination: key.destination, bytes: bytes))
        }
    }

    private var directions: [Direction] = []
    private var index: [FlowKey: Int] = [:]
    private var freeSlots: [Int] = []
    /// Closed directions in the order they closed, to forget them after a while.
    private var closed: [(slot: Int, generation: UInt64, at: CaptureTimestamp)] = []
    private var closedHead = 0

    /// Takes in one segment from `source` to `destination`.
    mutating func receive(
        source: CaptureEndpoint,
        destination: CaptureEndpoint,
        sequence: UInt32,
        flags: Flags,
        payload: UnsafeRawBufferPointer,
        timestamp: CaptureTimestamp,
        events: inout [CaptureEvent],
        statistics: inout CaptureStatistics
    ) {
        if closedHead < closed.count { forgetClosed(now: timestamp) }
        let key = FlowKey(source: source, destination: destination)

        if flags.contains(.rst) {
            // The connection is over in both directions; a RST's data is a diagnostic, not stream bytes.
            closeIfOpen(key, timestamp: timestamp, events: &events, statistics: &statistics)
            closeIfOpen(
                FlowKey(source: destination, destination: source),
                timestamp: timestamp,
                events: &events,
                statistics: &statistics
            )
            return
        }

        let fin = flags.contains(.fin)
        if flags.contains(.syn) {
            let slot: Int
            if let existing = index[key] {
                slot = existing
                if directions[slot].isOpen, directions[slot].initialSequence == sequence {
                    // A retransmitted SYN: only its data (if any) is news.
                } else {
                    // The ports are being reused for a new connection.
                    if directions[slot].isOpen {
                        directions[slot].close(timestamp: timestamp, events: &events, statistics: &statistics)
                    }
                    directions[slot].restart(
                        nextSequence: sequence &+ 1,
                        initialSequence: sequence,
                        statistics: &statistics
                    )
                }
            } else {
                slot = insert(Direction(key: key, nextSequence: sequence &+ 1, initialSequence: sequence))
            }
            if !payload.isEmpty || fin {
                directions[slot].accept(
                    sequence: sequence &+ 1,
                    payload: payload,
                    fin: fin,
                    timestamp: timestamp,
                    events: &events,
                    statistics: &statistics
                )
                noteIfClosed(slot, timestamp: timestamp)
            }
            return
        }

        guard !payload.isEmpty || fin else { return }  // a pure acknowledgement
        if let slot = index[key] {
            if !directions[slot].isOpen {
                let end = sequence &+ UInt32(truncatingIfNeeded: payload.count)
                // Data that ends at or before the end of the closed stream is a late
                // retransmission; anything beyond it starts a new stream.
                guard !payload.isEmpty, directions[slot].distance(to: end) > 0 else {
                    statistics.tcpBytesRetransmitted += payload.count
                    return
                }
                directions[slot].restart(nextSequence: sequence, initialSequence: nil, statistics: &statistics)
            }
            directions[slot].accept(
                sequence: sequence,
                payload: payload,
                fin: fin,
                timestamp: timestamp,
                events: &events,
                statistics: &statistics
            )
        } else {
            // A FIN alone, for a direction never seen, ends nothing the caller knows of.
            guard !payload.isEmpty else { return }
            let slot = insert(Direction(key: key, nextSequence: sequence, initialSequence: nil))
            directions[slot].accept(
                sequence: sequence,
                payload: payload,
                fin: fin,
                timestamp: timestamp,
                events: &events,
                statistics: &statistics
            )
        }
        noteIfClosed(index[key], timestamp: timestamp)
    }

    /// Counts the bytes still held out of order when the capture ends.
    func finish(statistics: inout CaptureStatistics) {
        for direction in directions where direction.isOpen {
            statistics.tcpBytesUndelivered += direction.heldBytes
        }
    }

    private mutating func insert(_ direction: Direction) -> Int {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            // A new generation, so that nothing remembered about the slot's last user matches.
            var direction = direction
            direction.generation = directions[slot].generation &+ 1
            directions[slot] = direction
        } else {
            slot = directions.count
            directions.append(direction)
        }
        index[direction.key] = slot
        return slot
    }

    private mutating func closeIfOpen(
        _ key: FlowKey,
        timestamp: CaptureTimestamp,
        events: inout [CaptureEvent],
        statistics: inout CaptureStatistics
    ) {
        guard let slot = index[key], directions[slot].isOpen else { return }
        directions[slot].close(timestamp: timestamp, events: &events, statistics: &statistics)
        noteIfClosed(slot, timestamp: timestamp)
    }

    private mutating func noteIfClosed(_ slot: Int?, timestamp: CaptureTimestamp) {
        guard let slot, !directions[slot].isOpen else { return }
        if let last = closed.last, last.slot == slot, last.generation == directions[slot].generation { return }
        closed.append((slot, directions[slot].generation, timestamp))
    }

    /// Forgets directions closed more than a minute of capture time before `now`.
    private mutating func forgetClosed(now: CaptureTimestamp) {
        while closedHead < closed.count {
            let entry = closed[closedHead]
            guard now.nanoseconds(since: entry.at) > Self.closedRetentionNanoseconds else { break }
            closedHead += 1
            let direction = directions[entry.slot]
            guard !direction.isOpen, direction.generation == entry.generation else { continue }
            index[direction.key] = nil
            freeSlots.append(entry.slot)
            // Release the slot's storage; `insert` overwrites it before reuse.
            directions[entry.slot].held = []
            directions[entry.slot].generation &+= 1
        }
        if closedHead == closed.count {
            closed.removeAll(keepingCapacity: true)
            closedHead = 0
        } else if closedHead >= 1024, closedHead * 2 >= closed.count {
            closed.removeFirst(closedHead)
            closedHead = 0
        }
    }
}
