import Admission
import FuzzSupport
import SIPCore

/// Fuzzes TCP message framing: a byte stream, delivered in chunks the way TCP segments
/// arrive, accumulated in a receive buffer and cut into messages by
/// ``SIPStreamFraming/frame(_:maximumMessageSize:)`` exactly as the edge's stream decoder
/// does; every framed message then goes through the admission pipeline as TCP.
///
/// The framer reads raw, attacker-controlled bytes through unsafe pointers and decides
/// how much of the buffer to hand on, so an off-by-one here is an out-of-bounds read or a
/// desynchronised stream. Checked with `precondition`:
/// - every frame's length is positive and within the buffer (and within the size limit);
/// - a buffer at the size limit never waits for more data (the buffer stays bounded);
/// - framing does not depend on how the stream was split: feeding it in chunks gives the
///   same frames, byte for byte, as framing the whole stream at once (a differential check).
///
/// Input: a selector byte (``FuzzSelector``; its oversized bit is unused), a byte
/// choosing the size limit and the chunk sizes, a byte seeding the split points, then the
/// stream.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    fuzz(UnsafeRawBufferPointer(start: start, count: count))
}

/// One input, as a buffer.
func fuzz(_ input: UnsafeRawBufferPointer) -> CInt {
    let count = input.count
    guard count > 2 else { return 0 }
    let selector = FuzzSelector(input[0])
    let maximumMessageSize = StreamFramer.limits[Int(input[1] & 0b11)]
    let largestChunk = StreamFramer.chunkSizes[Int(input[1] >> 2 & 0b11)]
    var random = SplitMix64(seed: UInt64(input[1] >> 4) << 8 | UInt64(input[2]))
    let stream = Array(input[3...])

    // The whole stream at once.
    var whole = StreamFramer(maximumMessageSize: maximumMessageSize)
    whole.receive(stream[...])

    // The same stream in chunks.
    var chunked = StreamFramer(maximumMessageSize: maximumMessageSize)
    var offset = 0
    while offset < stream.count {
        let length = Int.random(in: 1...largestChunk, using: &random)
        let end = min(stream.count, offset + length)
        chunked.receive(stream[offset..<end])
        offset = end
    }
    precondition(whole.frames == chunked.frames, "framing depends on how the stream was split")
    precondition(whole.buffer == chunked.buffer, "the unframed rest depends on how the stream was split")

    // What the edge does with each frame.
    let source = FuzzFixtures.source(selector.sourceKind, transport: .tcp)
    for frame in whole.frames {
        switch frame {
        case .message(let bytes), .unframable(let bytes):
            _ = selector.pipeline.decide(bytes, from: source, policy: FuzzFixtures.policy, now: selector.now)
        case .tooLarge(let headerPrefix):
            _ = selector.pipeline.decideOversized(headerPrefix, from: source)
        case .ping, .padding:
            break
        }
    }
    return 0
}

/// Writes the generated seeds, as streams, when `SIPFENCE_FUZZ_WRITE_SEEDS` names a
/// directory; see ``SeedWriter``.
@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    SeedWriter.writeIfRequested {
        let seeds = FuzzSeeds.all()
        let ping: [UInt8] = Array("\r\n\r\n".utf8)
        var streams: [(name: String, bytes: [UInt8])] = []
        // Each seed alone, with a 64 KiB limit, in chunks of up to 16 bytes.
        for seed in seeds where seed.tcp {
            streams.append((seed.name, [FuzzSelector.byte(seed.source, tcp: true), 0b0111, 1] + seed.bytes))
        }
        // Everything a listed caller sends, one stream with pings between, a 1400-byte limit.
        let caller = seeds.filter { $0.source == .listedCaller }.flatMap { $0.bytes + ping }
        streams.append(("caller-stream", [FuzzSelector.byte(.listedCaller, tcp: true), 0b0110, 2] + caller))
        return streams
    }
    return 0
}
