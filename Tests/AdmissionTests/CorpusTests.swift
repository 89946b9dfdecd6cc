import AccessControl
import Admission
import Foundation
import SIPCore
import Testing

/// RFC 4475 torture messages, classified by the table in `Tests/Fixtures/rfc4475/README.md`.
struct CorpusCase: Sendable, CustomTestStringConvertible {
    enum Section: String, Sendable {
        case valid = "3.1.1 valid"
        case invalid = "3.1.2 invalid"
        case semantic = "3.2–3.4 semantic"
        case unlisted = "not in the RFC"
    }

    let name: String
    let section: Section
    var testDescription: String { "\(name) (\(section.rawValue))" }

    var bytes: [UInt8] {
        get throws { try Array(Data(contentsOf: Fixtures.directory.appendingPathComponent("rfc4475/TC_\(name).dat"))) }
    }

    /// Every row of the README table: `| section | meaning | FILE FILE … |`.
    static let all: [CorpusCase] = {
        guard let readme = try? String(contentsOf: Fixtures.directory.appendingPathComponent("rfc4475/README.md"), encoding: .utf8)
        else { return [] }
        var cases: [CorpusCase] = []
        for line in readme.split(separator: "\n") where line.hasPrefix("| ") {
            let columns = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard columns.count >= 3, let section = Section(rawValue: columns[0]) else { continue }
            cases += columns[2].split(separator: " ").map { CorpusCase(name: String($0), section: section) }
        }
        return cases
    }()
}

@Suite("RFC 4475 corpus")
struct CorpusTests {
    @Test("the README table lists all 50 messages, each once")
    func tableIsComplete() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Fixtures.directory.appendingPathComponent("rfc4475").path)
            .filter { $0.hasSuffix(".dat") }
        #expect(files.count == 50)
        #expect(Set(CorpusCase.all.map { "TC_\($0.name).dat" }) == Set(files))
        #expect(CorpusCase.all.count == 50)
    }

    /// What the semantic (§3.2–3.4) messages must get: the RFC leaves it to the
    /// application, so the expectation is spelled out per message.
    static let semantic: [String: (verdicts: Set<AdmissionVerdict>, status: Int?)] = [
        "ZEROMF_V": ([.tooManyHops], 483),
        "INSUF_I": ([.malformed], 400),
        "MULTI01_I": ([.malformed], 400),
        "MCL01_I": ([.malformed], 400),
        "INV2543_I": ([.admitted, .rejected], nil),
        "INVUT_V": ([.admitted, .rejected], nil),
        "SDP01_V": ([.admitted, .rejected], nil),
        "BCAST_V": ([.dropped], nil),
        "BADBRANCH_V": ([.forwarded], nil),
        "UNKSCM_V": ([.forwarded], nil),
        "NOVELSC_V": ([.forwarded], nil),
        "UNKSM2_V": ([.rejected], 403),  // REGISTER: example.com does not accept registrations
        "BEXT01_V": ([.forwarded], nil),
        "REGAUT01_V": ([.rejected], 403),  // REGISTER: example.com does not accept registrations
        "CPARAM01_V": ([.rejected], 403),  // REGISTER: example.com does not accept registrations
        "CPARAM02_V": ([.rejected], 403),  // REGISTER: example.com does not accept registrations
        "REGESCRT_V": ([.rejected], 403),  // REGISTER: example.com does not accept registrations
    ]

    @Test("each message gets what its section requires", arguments: CorpusCase.all)
    func decide(_ corpus: CorpusCase) throws {
        let bytes = try corpus.bytes
        for source in [Fixtures.allowed, Fixtures.refused] {
            let decision = Fixtures.pipeline.decide(bytes, from: source, policy: Fixtures.policy, now: Fixtures.now)
            let sent = Fixtures.text(decision.outbound?.bytes)
            let status = decision.outbound.flatMap { Fixtures.statusCode(of: $0.bytes) }
            switch corpus.section {
            case .valid:
                let parsed = try SIPMessage(parsing: bytes, framing: .datagram)
                if parsed.method == "INVITE" && parsed.toTag != nil {
                    // In a dialog: no domain to check, no token, so judged by its source.
                    #expect(decision.verdict == (source == Fixtures.allowed ? .forwarded : .rejected), "\(sent)")
                } else if parsed.method == "INVITE" {
                    #expect(decision.verdict == (source == Fixtures.allowed ? .admitted : .rejected), "\(sent)")
                } else if parsed.method == "REGISTER" {
                    // A domain accepts REGISTER only when its sip_registration says so.
                    #expect(decision.verdict == .rejected && decision.reason == "registration_not_enabled", "\(sent)")
                    #expect(status == 403)
                } else if parsed.isRequest {
                    #expect(decision.verdict == .forwarded)
                    #expect(decision.outbound?.destination == .upstream)
                } else {
                    #expect(decision.verdict == .dropped && decision.reason == "not_our_via")
                }
            case .invalid, .unlisted:
                #expect(decision.verdict == .malformed, "\(decision.reason)")
                #expect(decision.outbound?.destination != .upstream)
                if let outbound = decision.outbound {
                    #expect([400, 505].contains(status), "\(sent)")
                    guard case .address(.udp, let host, _, _) = outbound.destination else {
                        Issue.record("\(outbound.destination) is not the source")
                        continue
                    }
                    #expect(host == source.address.description)
                }
            case .semantic:
                let expected = try #require(Self.semantic[corpus.name], "no expectation for \(corpus.name)")
                #expect(expected.verdicts.contains(decision.verdict), "\(decision.verdict) \(decision.reason): \(sent)")
                if let code = expected.status {
                    #expect(status == code, "\(sent)")
                }
            }
        }
    }

    /// The others are dropped: responses (SCALARLG, BIGCODE), no Via (TEST_I), or a top
    /// Via too broken to address a reply to (BADINV01's `;;,;,,`).
    @Test("invalid requests that can be addressed get 400 (505 for SIP/7.0)")
    func answeredInvalid() throws {
        let answered: [String: Int] = [
            "CLERR_I": 400, "NCL_I": 400, "SCALAR02_V": 400, "QUOTBAL_I": 400, "LTGTRURI_I": 400,
            "LWSRURI_I": 400, "LWSSTART_V": 400, "TRWS_I": 400, "ESCRURI_V": 400, "BADDATE_V": 400, "REGBADCT_I": 400,
            "BADASPEC_I": 400, "BADDN_I": 400, "BADVERS_V": 505, "MISMATCH01_V": 400, "MISMATCH02_V": 400,
        ]
        for (name, code) in answered {
            let bytes = try CorpusCase(name: name, section: .invalid).bytes
            let decision = Fixtures.pipeline.decide(bytes, from: Fixtures.allowed, policy: Fixtures.policy, now: Fixtures.now)
            #expect(decision.outbound != nil, "\(name) unanswered: \(decision.reason)")
            #expect(decision.outbound.flatMap { Fixtures.statusCode(of: $0.bytes) } == code, "\(name)")
        }
    }
}
