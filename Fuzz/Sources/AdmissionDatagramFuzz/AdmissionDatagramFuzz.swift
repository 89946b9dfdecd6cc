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
/// credentials, and that what sipfence sends (but a 400 or 505) parses again.
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
    if FuzzFixtures.verbose {
        FuzzFixtures.log("\(source) \(decision.verdict) \(decision.reason) \(decision.statusCode.map(String.init) ?? "-")")
        FuzzFixtures.log(decision.outbound.map { "\($0.destination)\n" + String(decoding: $0.bytes, as: UTF8.self) } ?? "nothing sent")
    }
    if selector.sourceKind == .stranger {
        precondition(decision.match == nil, "a source outside every list matched a list: \(decision.reason)")
        if decision.verdict == .admitted {
            precondition(decision.username != nil, "a source outside every list was admitted without credentials: \(decision.reason)")
        }
    }
    if let outbound = decision.outbound {
        precondition(!outbound.bytes.isEmpty, "an empty message was sent")
        // What sipfence writes itself, from a message it parsed, parses: a forwarded or
        // relayed message, and its own responses (but a 400 or 505, which copy the broken
        // request's headers).
        if ![400, 505].contains(decision.statusCode) {
            do {
                _ = try SIPMessage(parsing: outbound.bytes, framing: .datagram)
            } catch {
                precondition(
                    decision.statusCode != nil && hasShortToURI(bytes, source: source),
                    "sipfence sent what it cannot parse (\(error.error.description)): \(decision.reason)")
            }
        }
    }
    if decision.outbound?.destination == .upstream {
        // The edge's answer when the upstream cannot be reached.
        _ = selector.pipeline.serviceUnavailable(bytes, from: source, reason: "fuzz")
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

/// Whether the request's To URI is shorter than 6 characters (`sip:m`), which libosip2
/// reads bare but not with parameters or in `<…>`: `osip_from_parse` refuses a
/// name-addr URI or one followed by `;` when `url_end - url + 2 < 7`. sipfence's answer
/// then carries `To: sip:m;tag=…`, valid SIP (RFC 3261 §25.1) that libosip2 cannot read
/// back. A libosip2 quirk, not sipfence's: tolerated here (see Fuzz/README.md).
func hasShortToURI(_ bytes: [UInt8], source: SIPSource) -> Bool {
    let framing: SIPFraming = source.transport.isStream ? .stream : .datagram
    guard let request = try? SIPMessage(parsing: bytes, framing: framing) else { return false }
    return (request.nameAddresses(.to).first?.uri.text.utf8.count ?? 0) < 6
}
