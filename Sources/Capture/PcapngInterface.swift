/// What a pcapng Interface Description Block says about the packets captured on it.
struct PcapngInterface: Sendable {
    /// How many timestamp units make a second: 10^exponent or 2^exponent.
    enum Resolution: Hashable, Sendable {
        case powerOfTen(Int)
        case powerOfTwo(Int)

        /// Microseconds: the default when an interface has no `if_tsresol` option.
        static let microseconds = Resolution.powerOfTen(6)

        /// The resolution an `if_tsresol` option value names; `nil` when finer than this
        /// reader can represent (10⁻¹⁹ or 2⁻⁶³ s).
        init?(optionValue value: UInt8) {
            let exponent = Int(value & 0x7F)
            if value & 0x80 == 0 {
                guard exponent <= 19 else { return nil }
                self = .powerOfTen(exponent)
            } else {
                guard exponent <= 63 else { return nil }
                self = .powerOfTwo(exponent)
            }
        }
    }

    /// The link-layer header type of the interface's packets.
    var linkType: UInt32
    /// The interface's snapshot length; 0 means none.
    var snapLength: UInt32
    /// The unit of the interface's timestamps.
    var resolution: Resolution = .microseconds
    /// Seconds to add to every timestamp (`if_tsoffset`).
    var offsetSeconds: Int64 = 0

    /// A timestamp of the interface, in its units since the epoch (plus the offset), as a
    /// ``CaptureTimestamp``.
    func timestamp(units: UInt64) -> CaptureTimestamp {
        let seconds: UInt64
        let nanoseconds: UInt64
        switch resolution {
        case .powerOfTen(let exponent):
            let unitsPerSecond = Self.powersOfTen[exponent]
            seconds = units / unitsPerSecond
            let fraction = units % unitsPerSecond
            nanoseconds =
                exponent <= 9
                ? fraction * Self.powersOfTen[9 - exponent]
                : fraction / Self.powersOfTen[exponent - 9]
        case .powerOfTwo(let exponent):
            seconds = units >> UInt64(exponent)
            let fraction = units & ((1 << UInt64(exponent)) &- 1)
            nanoseconds = UInt64(truncatingIfNeeded: (UInt128(fraction) * 1_000_000_000) >> UInt128(exponent))
        }
        let (shifted, overflow) = Int64(clamping: seconds).addingReportingOverflow(offsetSeconds)
        return CaptureTimestamp(
            seconds: overflow ? (offsetSeconds < 0 ? .min : .max) : shifted,
            nanoseconds: UInt32(nanoseconds)
        )
    }

    private static let powersOfTen: [UInt64] = (0...19).map { exponent in
        (0..<exponent).reduce(UInt64(1)) { value, _ in value * 10 }
    }
}
