import SIPCore

/// A TCP receive buffer cut into frames by ``SIPStreamFraming``, as the edge's stream
/// decoder cuts it: complete messages, pings and padding are taken off the front; an
/// oversized or unframable message ends the stream (everything after it is discarded,
/// as the edge closes the connection). Every frame is checked against the buffer it came
/// from.
struct StreamFramer {
    /// One thing the framer cut off the stream, with its bytes.
    enum Frame: Equatable {
        case message([UInt8])
        case ping
        case padding(Int)
        case tooLarge([UInt8])
        case unframable([UInt8])
    }

    /// The size limits a stream is framed under, the daemon's default last.
    static let limits = [64, 300, 1_400, 65_536]
    /// The largest chunk (TCP segment) sizes the stream is split into.
    static let chunkSizes = [2, 16, 128, 1_024]

    let maximumMessageSize: Int
    /// What has been received and not yet framed.
    private(set) var buffer: [UInt8] = []
    /// Everything framed so far, in order.
    private(set) var frames: [Frame] = []
    /// Whether the stream ended with an oversized or unframable message.
    private(set) var closed = false

    init(maximumMessageSize: Int) {
        self.maximumMessageSize = maximumMessageSize
    }

    /// Appends a chunk to the buffer and frames what it completes.
    mutating func receive(_ chunk: ArraySlice<UInt8>) {
        guard !closed else { return }
        buffer.append(contentsOf: chunk)
        var consumed = 0
        defer { buffer.removeFirst(consumed) }
        while !closed {
            let remaining = buffer.count - consumed
            let frame = buffer.withUnsafeBytes { raw in
                SIPStreamFraming.frame(UnsafeRawBufferPointer(rebasing: raw[consumed...]), maximumMessageSize: maximumMessageSize)
            }
            switch frame {
            case .needMoreData:
                precondition(remaining < maximumMessageSize, "\(remaining) bytes at a limit of \(maximumMessageSize) wait for more")
                return
            case .ping(let length):
                precondition(length == 4 && length <= remaining, "ping of \(length) in \(remaining)")
                frames.append(.ping)
                consumed += length
            case .padding(let length):
                precondition((1...2).contains(length) && length <= remaining, "padding of \(length) in \(remaining)")
                frames.append(.padding(length))
                consumed += length
            case .message(let length):
                precondition(length > 0 && length <= remaining, "message of \(length) in \(remaining)")
                precondition(length <= maximumMessageSize, "message of \(length) over the limit \(maximumMessageSize)")
                frames.append(.message(Array(buffer[consumed..<(consumed + length)])))
                consumed += length
            case .tooLarge(let headerPrefix):
                precondition(headerPrefix >= 0 && headerPrefix <= min(remaining, maximumMessageSize), "prefix \(headerPrefix) in \(remaining)")
                frames.append(.tooLarge(Array(buffer[consumed..<(consumed + headerPrefix)])))
                consumed = buffer.count
                closed = true
            case .unframable(let headerLength):
                precondition(headerLength > 0 && headerLength <= remaining, "header block of \(headerLength) in \(remaining)")
                frames.append(.unframable(Array(buffer[consumed..<(consumed + headerLength)])))
                consumed = buffer.count
                closed = true
            }
        }
    }
}
