/// The byte handling shared by sipfence's signed values (``DigestNonce``,
/// ``DialogToken``): big-endian fields, length-prefixed fields, and comparison of MACs
/// in constant time.
extension Array where Element == UInt8 {
    /// Appends `value` big-endian.
    mutating func appendBigEndian<Integer: FixedWidthInteger>(_ value: Integer) {
        for shift in stride(from: Integer.bitWidth - 8, through: 0, by: -8) {
            append(UInt8(truncatingIfNeeded: value >> shift))
        }
    }

    /// Appends `field` after its length (UInt32, big-endian), so that no two inputs of
    /// several fields run together into the same bytes.
    mutating func appendLengthPrefixed(_ field: [UInt8]) {
        appendBigEndian(UInt32(truncatingIfNeeded: field.count))
        append(contentsOf: field)
    }
}

extension Collection where Element == UInt8 {
    /// Whether the bytes equal `other`, taking the same time whatever bytes differ, so a
    /// MAC check tells an attacker nothing about how much of a guess was right.
    func equalsInConstantTime(_ other: some Collection<UInt8>) -> Bool {
        guard count == other.count else { return false }
        var difference: UInt8 = 0
        for (left, right) in zip(self, other) { difference |= left ^ right }
        return difference == 0
    }
}
