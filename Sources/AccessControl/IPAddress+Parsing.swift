extension IPAddress {
    /// Parses an address in its usual text form, strictly.
    ///
    /// IPv4 is a dotted quad of decimal parts 0…255 without leading zeros (`010.0.0.1`
    /// is refused: some systems read it as octal). IPv6 is the RFC 4291 form, with at most
    /// one `::` and an optional trailing dotted quad; brackets and zone indexes are not
    /// part of an address and are refused.
    public init(_ text: some StringProtocol) throws(IPAddressParseError) {
        try self.init(utf8: Array(text.utf8)[...])
    }

    /// Parses an address from the UTF-8 of its text (see ``init(_:)``).
    init(utf8 bytes: ArraySlice<UInt8>) throws(IPAddressParseError) {
        guard !bytes.isEmpty else { throw .empty }
        if bytes.contains(UInt8(ascii: ":")) {
            self.init(ipv6: try Self.parseIPv6(Array(bytes)))
        } else {
            self.init(ipv4: try Self.parseIPv4(bytes, offset: 0))
        }
    }

    /// Parses `text` as an address, returning `nil` instead of an error.
    public init?(parsing text: some StringProtocol) {
        guard let address = try? IPAddress(text) else { return nil }
        self = address
    }

    static func parseIPv4(_ bytes: ArraySlice<UInt8>, offset: Int) throws(IPAddressParseError) -> UInt32 {
        var value: UInt32 = 0
        var parts = 0
        var partStart = bytes.startIndex
        var index = bytes.startIndex
        while true {
            let atEnd = index == bytes.endIndex
            if atEnd || bytes[index] == UInt8(ascii: ".") {
                let part = bytes[partStart..<index]
                let position = offset + partStart - bytes.startIndex
                // The part's text only for a message: this runs for each of a million
                // addresses a policy import may hold.
                var partText: String { String(decoding: part, as: UTF8.self) }
                guard !part.isEmpty, part.count <= 3 else {
                    throw .invalidIPv4Octet(partText, position: position)
                }
                if part.count > 1 && part.first == UInt8(ascii: "0") {
                    throw .leadingZeroInIPv4Octet(partText, position: position)
                }
                let octet = part.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
                guard octet <= 255 else { throw .invalidIPv4Octet(partText, position: position) }
                parts += 1
                guard parts <= 4 else { throw .wrongNumberOfIPv4Octets(parts) }
                value = (value << 8) | UInt32(octet)
                if atEnd { break }
                partStart = index + 1
            } else if !isDecimalDigit(bytes[index]) {
                throw unexpected(bytes[index], position: offset + index - bytes.startIndex)
            }
            index += 1
        }
        guard parts == 4 else { throw .wrongNumberOfIPv4Octets(parts) }
        return value
    }

    static func parseIPv6(_ bytes: [UInt8]) throws(IPAddressParseError) -> UInt128 {
        if let percent = bytes.firstIndex(of: UInt8(ascii: "%")) {
            throw .zoneNotAllowed(position: percent)
        }
        var head: [UInt16] = []  // groups before '::'
        var tail: [UInt16] = []  // groups after '::'
        var sawDoubleColon = false
        var index = 0
        if bytes.starts(with: [UInt8(ascii: ":"), UInt8(ascii: ":")]) {
            sawDoubleColon = true
            index = 2
        } else if bytes.first == UInt8(ascii: ":") {
            throw .unexpectedCharacter(":", position: 0)
        }
        while index < bytes.count {
            // One group, or a trailing dotted quad.
            var end = index
            while end < bytes.count && isHexDigit(bytes[end]) { end += 1 }
            if end < bytes.count && bytes[end] == UInt8(ascii: ".") {
                let quad = try parseIPv4(bytes[index...], offset: index)
                if sawDoubleColon {
                    tail.append(UInt16(quad >> 16))
                    tail.append(UInt16(quad & 0xFFFF))
                } else {
                    head.append(UInt16(quad >> 16))
                    head.append(UInt16(quad & 0xFFFF))
                }
                index = bytes.count
                break
            }
            guard end > index else {
                throw unexpected(bytes[index], position: index)
            }
            guard end - index <= 4 else {
                throw .ipv6GroupTooLong(String(decoding: bytes[index..<end], as: UTF8.self), position: index)
            }
            let group = bytes[index..<end].reduce(UInt16(0)) { ($0 << 4) | UInt16(hexValue($1)) }
            if sawDoubleColon { tail.append(group) } else { head.append(group) }
            index = end
            guard index < bytes.count else { break }
            guard bytes[index] == UInt8(ascii: ":") else {
                throw unexpected(bytes[index], position: index)
            }
            if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: ":") {
                guard !sawDoubleColon else { throw .multipleDoubleColons(position: index) }
                sawDoubleColon = true
                index += 2
            } else {
                index += 1
                guard index < bytes.count else { throw .unexpectedCharacter(":", position: index - 1) }
            }
        }
        let groupCount = head.count + tail.count
        if sawDoubleColon {
            guard groupCount <= 7 else { throw .wrongNumberOfIPv6Groups(groupCount) }
        } else {
            guard groupCount == 8 else { throw .wrongNumberOfIPv6Groups(groupCount) }
        }
        let groups = head + Array(repeating: 0, count: 8 - groupCount) + tail
        return groups.reduce(UInt128(0)) { ($0 << 16) | UInt128($1) }
    }

    private static func unexpected(_ byte: UInt8, position: Int) -> IPAddressParseError {
        .unexpectedCharacter(Character(Unicode.Scalar(byte)), position: position)
    }
}

@inline(__always)
func isDecimalDigit(_ byte: UInt8) -> Bool {
    byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
}

@inline(__always)
func isHexDigit(_ byte: UInt8) -> Bool {
    isDecimalDigit(byte) || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "f"))
}

@inline(__always)
func hexValue(_ byte: UInt8) -> UInt8 {
    isDecimalDigit(byte) ? byte - UInt8(ascii: "0") : (byte | 0x20) - UInt8(ascii: "a") + 10
}
