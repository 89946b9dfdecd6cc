import Admission
import FuzzSupport
import SIPCore

/// Fuzzes the whole SIP admission decision for one datagram: bytes →
/// ``AdmissionPipeline/decide(_:from:policy:now:)`` (libosip2 parsing, sipfence's own
/// validation, IP lists, digest credentials, dialog tokens, Route and Via handling, the
/// responses sipfence writes) or ``AdmissionPipeline/decideOversized(_:from:)``.
///
/// This is the path every packet from the Internet takes, before any check of who sent
/// it; it must never trap, leak or hang, whatever the bytes.
///
/// Input: one selector byte (``FuzzSelector``: source, transport, moment, settings,
/// oversized), then the message. Beyond not crashing, it checks that a caller outside
/// every list is never admitted by the IP rule, and is admitted at all only with digest
/// credentials.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    fuzz(UnsafeRawBufferPointer(start: start, count: count))
}

/// One input, as a buffer.
func fuzz(_ input: UnsafeRawBufferPointer) -> CInt {
    let count = input.count
    guard count > 0 else { return 0 }
    let selector = FuzzSelector(input[0])
    let bytes = Array(input[1...])
    let source = selector.source

    if selector.oversized {
        let decision = selector.pipeline.decideOversized(bytes, from: source)
        precondition(decision.verdict == .malformed, "an oversized message is always malformed")
        precondition(decision.outbound.map { $0.destination != .upstream } ?? true, "an oversized message is never forwarded")
        return 0
    }

    let decision = selector.pipeline.decide(bytes, from: source, policy: FuzzFixtures.policy, now: selector.now)
    if selector.sourceKind == .stranger {
        precondition(decision.match == nil, "a source outside every list matched a list: \(decision.reason)")
        if decision.verdict == .admitted {
            precondition(decision.username != nil, "a source outside every list was admitted without credentials: \(decision.reason)")
        }
    }
    if let outbound = decision.outbound {
        precondition(!outbound.bytes.isEmpty, "an empty message was sent")
    }
    return 0
}

/// Writes the generated seeds (digest credentials, dialog tokens, relayed responses) when
/// `SIPFENCE_FUZZ_WRITE_SEEDS` names a directory; see ``SeedWriter``.
@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    SeedWriter.writeIfRequested {
        FuzzSeeds.all().map { seed in
            let selector = FuzzSelector.byte(seed.source, tcp: seed.tcp)
            return (seed.name, [selector] + seed.bytes)
        }
    }
    return 0
}
