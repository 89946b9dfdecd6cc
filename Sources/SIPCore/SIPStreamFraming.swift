/// Finds where SIP messages begin and end in a byte stream (TCP), by the header block's
/// empty line and Content-Length (RFC 3261 §18.3), and recognises RFC 5626 keep-alives.
///
/// This only frames: the message itself is validated by ``SIPMessage/init(parsing:framing:)``.
public enum SIPStreamFraming {
    /// What the front of a stream buffer holds.
    public enum Frame: Hashable, Sendable {
        /// More bytes are needed before anything can be said.
        case needMoreData
        /// A keep-alive ping (CRLF CRLF) of `length` bytes, to be answered with a CRLF pong
        /// (RFC 5626 §3.5.1).
        case ping(length: Int)
        /// Stray line breaks between messages, to be skipped (RFC 3261 §7.5).
        case padding(length: Int)
        /// One message of `length` bytes.
        case message(length: Int)
        /// A message whose header block or total size exceeds the limit. `headerPrefix` is
        /// how much of the front is complete header lines, for addressing a `513`.
        case tooLarge(headerPrefix: Int)
        /// A header block whose Content-Length cannot frame the stream (missing, not a
        /// number, or conflicting). The stream cannot continue after it; `headerLength` is
        /// the header block's length, for answering with a `400`.
        case unframable(headerLength: Int)
    }

    /// Frames the front of `buffer`.
    ///
    /// - Parameters:
    ///   - maximumMessageSize: the largest message accepted, headers and body, in bytes.
    ///   - maximumHeaderSize: the most bytes the header block may take before its empty
    ///     line (`sip.max_header_bytes`); by default the message limit. A stream that has
    ///     sent that much without ending its headers is ``Frame/tooLarge(headerPrefix:)``
    ///     at once, so a slow sender cannot hold a large buffer open.
    public static func frame(
        _ buffer: UnsafeRawBufferPointer, maximumMessageSize: Int, maximumHeaderSize: Int? = nil
    ) -> Frame {
        let bytes = buffer.bindMemory(to: UInt8.self)
        let count = bytes.count
        guard count > 0 else { return .needMoreData }
        if bytes[0] == .cr || bytes[0] == .lf {
            // Keep-alive or padding: CRLF CRLF is a ping; a lone CRLF is padding.
            guard count >= 2 else { return .needMoreData }
            guard bytes[0] == .cr, bytes[1] == .lf else { return .padding(length: 1) }
            guard count >= 4 else {
                if count == 3, bytes[2] != .cr { return .padding(length: 2) }
                return .needMoreData
            }
            return bytes[2] == .cr && bytes[3] == .lf ? .ping(length: 4) : .padding(length: 2)
        }

        // The header block ends at the first CRLF CRLF.
        let headerLimit = min(maximumHeaderSize ?? maximumMessageSize, maximumMessageSize)
        let limit = min(count, headerLimit)
        var headerEnd: Int?
        var index = 0
        while index + 3 < limit {
            if bytes[index] == .cr && bytes[index + 1] == .lf && bytes[index + 2] == .cr && bytes[index + 3] == .lf {
                headerEnd = index + 4
                break
            }
            index += 1
        }
        guard let headerEnd else {
            if count >= headerLimit { return .tooLarge(headerPrefix: lastLineEnd(bytes, before: limit)) }
            return .needMoreData
        }

        guard let contentLength = contentLength(bytes, headerEnd: headerEnd) else {
            return .unframable(headerLength: headerEnd)
        }
        let total = headerEnd + contentLength
        guard total <= maximumMessageSize else { return .tooLarge(headerPrefix: headerEnd) }
        guard count >= total else { return .needMoreData }
        return .message(length: total)
    }

    /// The single Content-Length of the header block, or `nil` when absent, malformed or
    /// conflicting.
    static func contentLength(_ bytes: UnsafeBufferPointer<UInt8>, headerEnd: Int) -> Int? {
        var value: Int?
        var lineStart = 0
        var index = 0
        while index + 1 < headerEnd {
            guard bytes[index] == .cr, bytes[index + 1] == .lf else {
                index += 1
                continue
            }
            let line = UnsafeBufferPointer(rebasing: bytes[lineStart..<index])
            index += 2
            lineStart = index
            guard let colon = line.firstIndex(of: .colon) else { continue }
            var nameEnd = colon
            while nameEnd > line.startIndex, line[nameEnd - 1].isWhitespace { nameEnd -= 1 }
            let name = line[line.startIndex..<nameEnd]
            guard name.equalsCaseInsensitive("content-length") || name.equalsCaseInsensitive("l") else { continue }
            let digits = line[(colon + 1)...].drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed()
            guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy(\.isDigit) else { return nil }
            let length = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            if let value, value != length { return nil }
            value = length
        }
        return value
    }

    /// Whether a datagram is a keep-alive rather than a message: nothing but CR, LF, SP
    /// or NUL (RFC 5626 CRLF keep-alives, and the NUL bytes some phones send). Keep-alives
    /// get no answer.
    public static func isKeepAlive(_ datagram: [UInt8]) -> Bool {
        // On the array itself: the generic form, called from other modules unspecialised,
        // allocated once per datagram.
        datagram.withUnsafeBufferPointer { bytes in
            bytes.allSatisfy { $0 == .cr || $0 == .lf || $0 == .space || $0 == 0 }
        }
    }

    /// The length of the complete lines at the front of `bytes` (through the last CRLF).
    public static func endOfLastLine(in bytes: [UInt8]) -> Int {
        bytes.withUnsafeBufferPointer { lastLineEnd($0, before: $0.count) }
    }

    /// The end of the last complete line (after its CRLF) before `limit`.
    static func lastLineEnd(_ bytes: UnsafeBufferPointer<UInt8>, before limit: Int) -> Int {
        var index = limit - 1
        while index > 0 {
            if bytes[index] == .lf && bytes[index - 1] == .cr { return index + 1 }
            index -= 1
        }
        return 0
    }
}
