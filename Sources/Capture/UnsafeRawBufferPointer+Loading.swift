// Unaligned integer loads from capture bytes. Callers check the bounds first: these are
// the only reads of file bytes, and each is preceded by a length guard in its caller.

extension UnsafeRawBufferPointer {
    @inline(__always)
    func loadUInt16(bigEndianAt offset: Int) -> UInt16 {
        UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always)
    func loadUInt32(bigEndianAt offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always)
    func loadUInt128(bigEndianAt offset: Int) -> UInt128 {
        let high = UInt64(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        let low = UInt64(bigEndian: loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
        return UInt128(high) << 64 | UInt128(low)
    }

    @inline(__always)
    func loadUInt16(at offset: Int, bigEndian: Bool) -> UInt16 {
        let raw = loadUnaligned(fromByteOffset: offset, as: UInt16.self)
        return bigEndian ? UInt16(bigEndian: raw) : UInt16(littleEndian: raw)
    }

    @inline(__always)
    func loadUInt32(at offset: Int, bigEndian: Bool) -> UInt32 {
        let raw = loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        return bigEndian ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw)
    }

    @inline(__always)
    func loadUInt64(at offset: Int, bigEndian: Bool) -> UInt64 {
        let raw = loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        return bigEndian ? UInt64(bigEndian: raw) : UInt64(littleEndian: raw)
    }

    /// A new array holding `range` of these bytes: the one allocation a delivered payload costs.
    @inline(__always)
    func copyBytes(_ range: Range<Int>) -> [UInt8] {
        let slice = UnsafeRawBufferPointer(rebasing: self[range])
        return [UInt8](unsafeUninitializedCapacity: slice.count) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: slice)
            initialized = slice.count
        }
    }

    /// These bytes from `start` on.
    @inline(__always)
    func suffix(from start: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[start...])
    }

    /// These bytes in `range`.
    @inline(__always)
    func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[range])
    }
}
