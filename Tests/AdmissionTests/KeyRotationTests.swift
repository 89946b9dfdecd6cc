import AccessControl
import Admission
import SIPCore
import Testing

/// `sip.previous_secret` until `sip.previous_secret_until`: what the previous secret
/// signed keeps verifying through a rotation, and stops at its end; new values are always
/// signed with the new secret.
@Suite("Key rotation")
struct KeyRotationTests {
    static let old = SIPKeyring.random()
    static let new = SIPKeyring.random()
    static let until = Fixtures.now + 3_600

    static func pipeline(_ keyring: SIPKeyring, rotation: KeyRotation? = nil) -> AdmissionPipeline {
        var settings = Fixtures.settings
        settings.secret = keyring.statelessSecret
        settings.digest = DigestSettings(realm: "sipfence", keyring: keyring)
        settings.rotation = rotation
        return AdmissionPipeline(settings: settings)
    }

    static let before = pipeline(old)
    static let during = pipeline(new, rotation: KeyRotation(previous: old, acceptedUntil: until))

    static func decide(_ pipeline: AdmissionPipeline, _ text: String, from source: SIPSource, now: UInt64 = Fixtures.now) -> AdmissionDecision {
        pipeline.decide(Fixtures.message(text), from: source, policy: Fixtures.policy, now: now)
    }

    @Test("signed values carry the key id of the secret that signed them")
    func keyIDs() throws {
        let forwarded = try #require(Self.decide(Self.before, AdmissionPipelineTests.invite, from: Fixtures.allowed).outbound)
        let hex = String(Self.old.keyID, radix: 16)
        let keyID = hex.count == 1 ? "0" + hex : hex
        #expect(Fixtures.text(forwarded.bytes).contains("branch=z9hG4bKsf\(keyID)"))
        let refused = try #require(Self.decide(Self.before, AdmissionPipelineTests.invite, from: Fixtures.refused).outbound)
        let response = try SIPMessage(parsing: refused.bytes, framing: .datagram)
        #expect(response.toTag?.hasPrefix(keyID) == true)
    }

    @Test("a response to a request forwarded before the rotation is relayed until the rotation ends")
    func relayAcrossRotation() throws {
        let forwarded = try SIPMessage(
            parsing: try #require(Self.decide(Self.before, AdmissionPipelineTests.invite, from: Fixtures.allowed).outbound?.bytes),
            framing: .datagram)
        let ok = AdmissionPipelineTests().responseText(to: forwarded, status: "200 OK")
        #expect(Self.decide(Self.during, ok, from: Fixtures.fromUpstream).verdict == .relayed)
        #expect(Self.decide(Self.during, ok, from: Fixtures.fromUpstream, now: Self.until).verdict == .dropped)
        #expect(Self.decide(Self.pipeline(Self.new), ok, from: Fixtures.fromUpstream).verdict == .dropped)
        // New requests are signed with the new secret only.
        let fresh = try #require(Self.decide(Self.during, AdmissionPipelineTests.invite, from: Fixtures.allowed).outbound)
        let hex = String(Self.new.keyID, radix: 16)
        #expect(Fixtures.text(fresh.bytes).contains("branch=z9hG4bKsf\(hex.count == 1 ? "0" + hex : hex)"))
    }

    @Test("the ACK of a 403 sent before the rotation is absorbed until the rotation ends")
    func ackAcrossRotation() throws {
        let refused = try #require(Self.decide(Self.before, AdmissionPipelineTests.invite, from: Fixtures.refused).outbound)
        let tag = try #require(try SIPMessage(parsing: refused.bytes, framing: .datagram).toTag)
        let ack = AdmissionPipelineTests.invite
            .replacingOccurrences(of: "INVITE sip:", with: "ACK sip:")
            .replacingOccurrences(of: "To: <sip:+14155550100@trunk.example.com>", with: "To: <sip:+14155550100@trunk.example.com>;tag=\(tag)")
            .replacingOccurrences(of: "CSeq: 314159 INVITE", with: "CSeq: 314159 ACK")
        #expect(Self.decide(Self.during, ack, from: Fixtures.refused).verdict == .absorbed)
        #expect(Self.decide(Self.during, ack, from: Fixtures.refused, now: Self.until).verdict != .absorbed)
    }

    @Test("a nonce of the previous secret verifies until the rotation ends")
    func nonceAcrossRotation() throws {
        let challenge = DigestAdmissionTests.decide(DigestAdmissionTests.request(), pipeline: Self.before)
        let nonce = try #require(try DigestAdmissionTests.challenges(in: challenge).first?.nonce)
        let answer = DigestAdmissionTests.request(authorization: [DigestAdmissionTests.answer(nonce: nonce)])
        let inside = DigestAdmissionTests.decide(answer, pipeline: Self.during, now: Fixtures.now + 60)
        #expect(inside.verdict == .admitted, "\(inside.reason)")
        let rotationOver = KeyRotation(previous: Self.old, acceptedUntil: Fixtures.now + 30)
        let after = DigestAdmissionTests.decide(answer, pipeline: Self.pipeline(Self.new, rotation: rotationOver), now: Fixtures.now + 60)
        #expect(after.verdict == .challenged && after.reason == "invalid_nonce")
    }
}
