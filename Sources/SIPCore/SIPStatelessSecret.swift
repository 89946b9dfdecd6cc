/// The per-instance secret behind sipfence's stateless identifiers: the To-tag of the
/// responses it generates and the branch of the Via it adds when forwarding.
///
/// Both are keyed hashes (SipHash-2-4) of fields of the request, so the same request
/// always yields the same identifier — a retransmitted INVITE gets a byte-identical 403
/// and is forwarded with the same branch — without sipfence keeping any state, while
/// nobody without the secret can predict or forge them. Instances that must agree (several
/// daemons behind one address) share the secret through configuration.
///
/// Every identifier carries the secret's one-byte ``keyID`` (two hex digits after the
/// marker), so that after a rotation the identifiers of the previous secret can still be
/// told apart and verified while it stays accepted.
public struct SIPStatelessSecret: Hashable, Sendable {
    let k0: UInt64
    let k1: UInt64
    /// The short identifier written into every To-tag and branch made with this secret.
    public let keyID: UInt8

    /// A secret from its 128 bits, named `keyID`.
    public init(_ k0: UInt64, _ k1: UInt64, keyID: UInt8 = 0) {
        self.k0 = k0
        self.k1 = k1
        self.keyID = keyID
    }

    /// A fresh secret from the system's random source.
    public static func random() -> SIPStatelessSecret {
        var generator = SystemRandomNumberGenerator()
        return SIPStatelessSecret(generator.next(), generator.next())
    }

    /// A secret from 32 hexadecimal digits, or `nil` when `text` is not that.
    public init?(hex text: some StringProtocol) {
        guard text.utf8.count == 32, let k0 = UInt64(text.prefix(16), radix: 16), let k1 = UInt64(text.suffix(16), radix: 16)
        else { return nil }
        self.init(k0, k1)
    }

    /// The marker after the magic cookie in branches of requests whose own branch
    /// carries the magic cookie (and can therefore be verified on the way back).
    static let verifiableBranchPrefix = SIPVia.magicCookie + "sf"
    /// The marker for branches derived from RFC 2543 requests.
    static let legacyBranchPrefix = SIPVia.magicCookie + "sx"

    /// What separates a branch's transaction part from its loop-detection part.
    static let loopSeparator = "-"

    /// The loop-detection part of a branch (RFC 3261 §16.6 item 8): 16 hexadecimal digits.
    func loopDetectionPart(fromTag: String, callID: String, requestURI: String, cseqNumber: UInt32) -> String {
        var hasher = SipHash24(k0: k0, k1: k1)
        hasher.combine(field: "loop")
        hasher.combine(field: fromTag)
        hasher.combine(field: callID)
        hasher.combine(field: requestURI)
        hasher.combine(number: UInt64(cseqNumber))
        return hasher.finalize().paddedHex
    }

    /// The To-tag for a response to a request with these fields.
    func localTag(callID: ArraySlice<UInt8>, from: some Collection<UInt8>, branch: some Collection<UInt8>) -> String {
        keyed(localTagHash(callID: callID, from: from, branch: branch))
    }

    /// The keyed hash behind ``localTag(callID:from:branch:)``.
    private func localTagHash(callID: ArraySlice<UInt8>, from: some Collection<UInt8>, branch: some Collection<UInt8>) -> UInt64 {
        var hasher = SipHash24(k0: k0, k1: k1)
        hasher.combine(field: "tag")
        hasher.combine(field: callID)
        hasher.combine(field: from)
        hasher.combine(field: branch)
        return hasher.finalize()
    }

    /// Whether `tag` is the To-tag ``localTag(callID:from:branch:)`` gives these fields,
    /// compared digit by digit without making that tag: every ACK of a 403 asks this.
    func isLocalTag(_ tag: String, callID: ArraySlice<UInt8>, from: some Collection<UInt8>, branch: some Collection<UInt8>) -> Bool {
        guard tag.utf8.count == 18 else { return false }
        let hash = localTagHash(callID: callID, from: from, branch: branch)
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 18) { digits in
            UInt64(keyID).writeHex(digits: 2, into: digits, at: 0)
            hash.writeHex(digits: 16, into: digits, at: 2)
            return tag.utf8.elementsEqual(digits)
        }
    }

    /// `prefix`, the key ID's 2 and the hash's 16 hexadecimal digits, in one allocation:
    /// every 403 makes a local tag, every ACK to one checks one or two, every forwarded
    /// request makes a branch.
    private func keyed(_ hash: UInt64, prefix: String = "") -> String {
        var prefix = prefix
        return prefix.withUTF8 { prefixBytes in
            String(unsafeUninitializedCapacity: prefixBytes.count + 18) { digits in
                for (index, byte) in prefixBytes.enumerated() { digits[index] = byte }
                UInt64(keyID).writeHex(digits: 2, into: digits, at: prefixBytes.count)
                hash.writeHex(digits: 16, into: digits, at: prefixBytes.count + 2)
                return prefixBytes.count + 18
            }
        }
    }

    /// The branch a stateless proxy gives a request whose client branch is `clientBranch`
    /// (magic-cookie clients, RFC 3261 §16.11): the same for the INVITE, its CANCEL and
    /// the ACK of a non-2xx response, which share branch, sent-by, Call-ID and CSeq number.
    func verifiableBranch(clientBranch: String, sentBy: String, callID: String, cseqNumber: UInt32) -> String {
        var hasher = SipHash24(k0: k0, k1: k1)
        hasher.combine(field: "branch")
        hasher.combine(field: clientBranch)
        hasher.combine(field: sentBy)
        hasher.combine(field: callID)
        hasher.combine(number: UInt64(cseqNumber))
        return keyed(hasher.finalize(), prefix: Self.verifiableBranchPrefix)
    }

    /// The branch for a request from an RFC 2543 client (no magic cookie): a hash of the
    /// top Via's sent-by and branch, From tag, Call-ID, CSeq number and Request-URI — not
    /// the To tag, which differs between an INVITE and the ACK of its error response.
    func legacyBranch(via: SIPVia, fromTag: String, callID: String, cseqNumber: UInt32, requestURI: String) -> String {
        var hasher = SipHash24(k0: k0, k1: k1)
        hasher.combine(field: "legacy")
        hasher.combine(field: via.sentBy)
        hasher.combine(field: via.branch ?? "")
        hasher.combine(field: fromTag)
        hasher.combine(field: callID)
        hasher.combine(number: UInt64(cseqNumber))
        hasher.combine(field: requestURI)
        return keyed(hasher.finalize(), prefix: Self.legacyBranchPrefix)
    }
}

extension UInt64 {
    /// 16 lower-case hexadecimal digits, written in one allocation: every 403 and every
    /// ACK to one makes a local tag of these.
    var paddedHex: String {
        String(unsafeUninitializedCapacity: 16) { digits in
            writeHex(digits: 16, into: digits, at: 0)
            return 16
        }
    }

    /// Writes the low `count` nibbles as lower-case hexadecimal digits, most significant
    /// first, into `buffer` from `offset`.
    func writeHex(digits count: Int, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        for index in 0..<count {
            let nibble = UInt8(truncatingIfNeeded: self >> UInt64(4 * (count - 1 - index))) & 0x0F
            buffer[offset + index] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
        }
    }
}

/// SipHash-2-4 (Aumasson & Bernstein, 2012): a keyed 64-bit pseudo-random function for
/// short inputs.
struct SipHash24 {
    private var v0: UInt64
    private var v1: UInt64
    private var v2: UInt64
    private var v3: UInt64
    private var tail: UInt64 = 0
    private var tailCount = 0
    private var length = 0

    init(k0: UInt64, k1: UInt64) {
        v0 = 0x736f_6d65_7073_6575 ^ k0
        v1 = 0x646f_7261_6e64_6f6d ^ k1
        v2 = 0x6c79_6765_6e65_7261 ^ k0
        v3 = 0x7465_6462_7974_6573 ^ k1
    }

    @inline(__always)
    private mutating func round() {
        v0 &+= v1
        v1 = v1.rotatedLeft(13)
        v1 ^= v0
        v0 = v0.rotatedLeft(32)
        v2 &+= v3
        v3 = v3.rotatedLeft(16)
        v3 ^= v2
        v0 &+= v3
        v3 = v3.rotatedLeft(21)
        v3 ^= v0
        v2 &+= v1
        v1 = v1.rotatedLeft(17)
        v1 ^= v2
        v2 = v2.rotatedLeft(32)
    }

    private mutating func compress(_ word: UInt64) {
        v3 ^= word
        round()
        round()
        v0 ^= word
    }

    mutating func combine(_ byte: UInt8) {
        tail |= UInt64(byte) << (8 * tailCount)
        tailCount += 1
        length += 1
        if tailCount == 8 {
            compress(tail)
            tail = 0
            tailCount = 0
        }
    }

    mutating func combine(_ bytes: some Sequence<UInt8>) {
        let handledContiguously: Void? = bytes.withContiguousStorageIfAvailable { combine(contiguous: UnsafeRawBufferPointer($0)) }
        if handledContiguously == nil {
            for byte in bytes { combine(byte) }
        }
    }

    /// Consumes whole 8-byte words at a time once the pending tail is empty.
    private mutating func combine(contiguous bytes: UnsafeRawBufferPointer) {
        var index = 0
        while tailCount != 0 && index < bytes.count {
            combine(bytes[index])
            index += 1
        }
        while index + 8 <= bytes.count {
            compress(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)))
            length += 8
            index += 8
        }
        while index < bytes.count {
            combine(bytes[index])
            index += 1
        }
    }

    /// Appends a length-prefixed field, so that field boundaries are part of the input.
    mutating func combine(field bytes: some Collection<UInt8>) {
        combine(number: UInt64(bytes.count))
        combine(bytes)
    }

    /// Appends a length-prefixed run of raw bytes.
    mutating func combine(field bytes: UnsafeRawBufferPointer) {
        combine(number: UInt64(bytes.count))
        combine(contiguous: bytes)
    }

    /// Appends a length-prefixed string, hashing its UTF-8 bytes in place.
    mutating func combine(field text: String) {
        var text = text
        text.withUTF8 { combine(field: UnsafeRawBufferPointer($0)) }
    }

    mutating func combine(number: UInt64) {
        withUnsafeBytes(of: number.littleEndian) { combine(contiguous: $0) }
    }

    mutating func finalize() -> UInt64 {
        compress(UInt64(truncatingIfNeeded: length) << 56 | tail)
        v2 ^= 0xff
        round()
        round()
        round()
        round()
        return v0 ^ v1 ^ v2 ^ v3
    }
}

extension UInt64 {
    @inline(__always)
    func rotatedLeft(_ count: UInt64) -> UInt64 {
        (self << count) | (self >> (64 - count))
    }
}
