public import Admission
public import SIPCore

/// The first byte of a fuzz input, read as the choices a message is decided under, so
/// that one target reaches every branch: who sent it, over which transport, at which
/// moment, under which settings, and (datagrams) whether it arrived oversized.
///
/// Bits 0–1: the source (``FuzzFixtures/SourceKind``); bit 2: TCP rather than UDP;
/// bits 3–4: the moment (``FuzzFixtures/times``); bits 5–6: the settings
/// (``FuzzFixtures/pipelines``); bit 7: oversized (``AdmissionPipeline/decideOversized(_:from:)``).
public struct FuzzSelector: Sendable {
    /// The raw selector byte.
    public let byte: UInt8

    /// The choices of `byte`.
    public init(_ byte: UInt8) {
        self.byte = byte
    }

    /// Who sent the message.
    public var sourceKind: FuzzFixtures.SourceKind {
        FuzzFixtures.SourceKind.allCases[Int(byte & 0b11)]
    }

    /// The transport it arrived on.
    public var transport: SIPTransport { byte & 0b100 != 0 ? .tcp : .udp }

    /// The socket-level source.
    public var source: SIPSource { FuzzFixtures.source(sourceKind, transport: transport) }

    /// The moment it is decided at.
    public var now: UInt64 { FuzzFixtures.times[Int(byte >> 3 & 0b11)] }

    /// The pipeline (settings variant) that decides.
    public var pipeline: AdmissionPipeline { FuzzFixtures.pipelines[Int(byte >> 5 & 0b11)] }

    /// Whether the message is handled as one over the size limit.
    public var oversized: Bool { byte & 0x80 != 0 }

    /// The selector byte for the given choices (for writing seeds).
    public static func byte(
        _ kind: FuzzFixtures.SourceKind, tcp: Bool = false, time: Int = 0, pipeline: Int = 0, oversized: Bool = false
    ) -> UInt8 {
        let index = FuzzFixtures.SourceKind.allCases.firstIndex(of: kind) ?? 0
        return UInt8(index) | (tcp ? 0b100 : 0) | UInt8(time & 0b11) << 3 | UInt8(pipeline & 0b11) << 5 | (oversized ? 0x80 : 0)
    }
}
