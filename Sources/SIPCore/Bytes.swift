// Byte-level helpers for the SIP grammar (RFC 3261 §25). Internal to SIPCore.

extension UInt8 {
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let colon = UInt8(ascii: ":")
    static let comma = UInt8(ascii: ",")
    static let semicolon = UInt8(ascii: ";")
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let lessThan = UInt8(ascii: "<")
    static let greaterThan = UInt8(ascii: ">")

    /// SP or HTAB.
    var isWhitespace: Bool { self == .space || self == .tab }

    var isDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }

    var isAlpha: Bool { (self | 0x20) >= UInt8(ascii: "a") && (self | 0x20) <= UInt8(ascii: "z") }

    /// The byte with ASCII upper-case letters folded to lower case.
    var asciiLowercased: UInt8 {
        self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z") ? self | 0x20 : self
    }

    /// Whether the byte may appear in a SIP URI as sent (RFC 3261 §25.1, RFC 3986): printable
    /// ASCII but `"`, `<` and `>`. Anything else must be %-escaped; sipfence writes the
    /// URIs it parsed back into what it forwards, so it must be able to read them again.
    var mayAppearInURI: Bool {
        self > .space && self < 0x7F && self != .quote && self != .lessThan && self != .greaterThan
    }

    /// RFC 3261 `token` characters: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~".
    ///
    /// One bit per ASCII byte (bytes 0–63, then 64–127), so that the check is a shift and
    /// a mask: header names and parameters are checked byte by byte in every message.
    /// The test `tokenCharacters` checks the masks against the list above.
    var isTokenCharacter: Bool {
        if self < 64 { return (UInt64(0x03FF_6CA2_0000_0000) >> self) & 1 == 1 }
        if self < 128 { return (UInt64(0x47FF_FFFF_87FF_FFFE) >> (self - 64)) & 1 == 1 }
        return false
    }
}

extension Collection<UInt8> {
    /// Whether every byte is a token character and there is at least one.
    var isToken: Bool { !isEmpty && allSatisfy(\.isTokenCharacter) }

    /// Whether the bytes equal `text` ignoring ASCII case.
    func equalsCaseInsensitive(_ text: String) -> Bool {
        // On the text's contiguous UTF-8 (a literal's, or a native string's): zipping with
        // `String.UTF8View` was 2 % of a refused call's samples.
        if let equal = text.utf8.withContiguousStorageIfAvailable({ other in
            var index = other.startIndex
            for byte in self {
                guard index < other.endIndex, byte.asciiLowercased == other[index].asciiLowercased else { return false }
                index += 1
            }
            return index == other.endIndex
        }) {
            return equal
        }
        return count == text.utf8.count && zip(self, text.utf8).allSatisfy { $0.asciiLowercased == $1.asciiLowercased }
    }

    /// The bytes as a String (invalid UTF-8 repaired; for display and comparison only).
    var text: String { String(decoding: self, as: UTF8.self) }
}

extension Array where Element == UInt8 {
    /// Appends the UTF-8 bytes of `text`.
    mutating func append(_ text: String) {
        append(contentsOf: text.utf8)
    }

    /// Appends `CRLF`.
    mutating func appendCRLF() {
        append(.cr)
        append(.lf)
    }

    /// The index of the first `CRLF CRLF` at or after `start`, if any.
    func indexOfEmptyLine(from start: Int) -> Int? {
        withUnsafeBufferPointer { bytes in
            // Look at every line feed: the empty line is the one right after a CRLF.
            var index = start + 3
            while index < bytes.count {
                if bytes[index] == .lf {
                    if bytes[index - 1] == .cr && bytes[index - 2] == .lf && bytes[index - 3] == .cr { return index - 3 }
                    index += 2  // the next LF that could end an empty line is at least 2 further
                } else {
                    index += 1
                }
            }
            return nil
        }
    }

    /// Whether the bytes of `range`, with every SP, HTAB, CR and LF left out, start with
    /// `prefix` (ASCII, compared case-insensitively).
    func startsIgnoringWhitespace(_ range: Range<Int>, with prefix: StaticString) -> Bool {
        prefix.withUTF8Buffer { expected in
            var matched = 0
            var index = range.lowerBound
            while matched < expected.count {
                guard index < range.upperBound else { return false }
                let byte = self[index]
                index += 1
                if byte.isWhitespace || byte == .cr || byte == .lf { continue }
                guard byte.asciiLowercased == expected[matched].asciiLowercased else { return false }
                matched += 1
            }
            return true
        }
    }

    /// The range of `range` without leading and trailing whitespace (SP, HTAB, CR, LF).
    func trimmingWhitespace(_ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, self[lower].isWhitespace || self[lower] == .cr || self[lower] == .lf { lower += 1 }
        while upper > lower, self[upper - 1].isWhitespace || self[upper - 1] == .cr || self[upper - 1] == .lf { upper -= 1 }
        return lower..<upper
    }

    /// Calls `visit` with the index of every byte of `range` that lies outside quoted
    /// strings (quoted pairs included) and angle brackets — where header separators
    /// (`,` and `;`) mean something — until it returns `false`.
    func forEachSeparatorPosition(in range: Range<Int>, _ visit: (Int) -> Bool) {
        var inQuotes = false
        var inAngles = false
        var index = range.lowerBound
        while index < range.upperBound {
            let byte = self[index]
            if inQuotes {
                if byte == .backslash {
                    index += 1  // quoted-pair: skip the escaped byte
                } else if byte == .quote {
                    inQuotes = false
                }
            } else if byte == .quote {
                inQuotes = true
            } else if byte == .lessThan {
                inAngles = true
            } else if byte == .greaterThan {
                inAngles = false
            } else if !inAngles && !visit(index) {
                return
            }
            index += 1
        }
    }

    /// Splits a header value at commas that are outside quoted strings and angle
    /// brackets (RFC 3261 §7.3.1: several values of one header in one field). Each part
    /// is trimmed; empty parts are kept so that the caller can refuse them.
    func splitHeaderValues(_ range: Range<Int>) -> [Range<Int>] {
        var parts: [Range<Int>] = []
        forEachHeaderValue(range) { parts.append($0) }
        return parts
    }

    /// Calls `body` with each part ``splitHeaderValues(_:)`` would return, in order,
    /// without collecting them: the parser visits every Via, Contact, Route and
    /// Record-Route value of every message this way.
    func forEachHeaderValue<Failure: Error>(
        _ range: Range<Int>,
        _ body: (Range<Int>) throws(Failure) -> Void
    ) throws(Failure) {
        var start = range.lowerBound
        var failure: Failure?
        forEachSeparatorPosition(in: range) { index in
            guard self[index] == .comma else { return true }
            do throws(Failure) {
                try body(trimmingWhitespace(start..<index))
            } catch {
                failure = error
                return false
            }
            start = index + 1
            return true
        }
        if let failure { throw failure }
        try body(trimmingWhitespace(start..<range.upperBound))
    }
}

extension UnsafeRawPointer {
    /// Whether the 16 bytes at `offset` are all above CR (0x0D), so that code looking for
    /// CR, LF and NUL — framing, and the copy of a value libosip2 reads — can pass over
    /// them at once. HTAB and other control characters up to CR count as not above.
    @inline(__always)
    func sixteenBytesAboveCR(at offset: Int) -> Bool {
        !any(loadUnaligned(fromByteOffset: offset, as: SIMD16<UInt8>.self) .<= SIMD16<UInt8>(repeating: .cr))
    }
}
