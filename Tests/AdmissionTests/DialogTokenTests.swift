import AccessControl
import Admission
import SIPCore
import Testing

@Suite("Dialog tokens")
struct DialogTokenTests {
    static let keyring = SIPKeyring(hex: "00112233445566778899aabbccddeeff")!
    static let other = SIPKeyring(hex: "ffeeddccbbaa99887766554433221100")!

    static let flows: [SIPFlow] = [
        SIPFlow(transport: .udp, local: try! SIPEndpoint("udp:192.0.2.1:5060"), remoteAddress: try! IPAddress("198.51.100.7"), remotePort: 41_000),
        SIPFlow(transport: .tcp, local: try! SIPEndpoint("tcp:[2001:db8::1]:5060"), remoteAddress: try! IPAddress("198.51.100.7"), remotePort: 5_060),
        SIPFlow(transport: .udp, local: try! SIPEndpoint("udp:[2001:db8::1]:5062"), remoteAddress: try! IPAddress("2001:db8:feed::9"), remotePort: 65_535),
    ]

    func keys(_ id: UInt8) -> SIPKeyring? { id == Self.keyring.keyID ? Self.keyring : nil }

    @Test("a token reads back its flow and issue time, in 48, 64 or 80 URI-safe characters", arguments: flows)
    func roundTrip(_ flow: SIPFlow) throws {
        let text = DialogToken.mint(flow: flow, callID: "call-1@host", initiatorTag: "abc", now: 1_800_000_000, keyring: Self.keyring)
        #expect([48, 64, 80].contains(text.count))
        #expect(text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        let token = try DialogToken(verifying: text, callID: "call-1@host", tags: ["xyz", "abc"], keys: keys)
        #expect(token.flow == flow)
        #expect(token.issued == 1_800_000_000)
        #expect(token.keyID == Self.keyring.keyID)
    }

    /// Tokens outlive the process that minted them (other nodes, restarts, upgrades): the
    /// encoding and the MAC must not change. These were minted before the HMAC key was
    /// prepared once per keyring.
    @Test("tokens are byte-identical to those minted by earlier versions", arguments: zip(flows, [
            "UwBrSdIAwAACARPExjNkB6AoGaSrYYEkXRqUzw8zInU_WdzL",
            "UwVrSdIAIAENuAAAAAAAAAAAAAAAARPExjNkBxPEU-QoDLOPQtee35cmE3xAWLWg",
            "UwxrSdIAIAENuAAAAAAAAAAAAAAAARPGIAENuP7tAAAAAAAAAAAACf__cg-iRbhkhEO5RZBkaTMBhpt8",
        ]))
    func knownTokens(_ flow: SIPFlow, _ expected: String) {
        let text = DialogToken.mint(flow: flow, callID: "call-1@host", initiatorTag: "abc", now: 1_800_000_000, keyring: Self.keyring)
        #expect(text == expected)
    }

    @Test("a token of another dialog, an altered one, or one signed by an unknown key does not verify")
    func forgery() throws {
        let flow = Self.flows[0]
        let text = DialogToken.mint(flow: flow, callID: "call-1@host", initiatorTag: "abc", now: 1_800_000_000, keyring: Self.keyring)
        #expect(throws: DialogTokenError.badMAC) { try DialogToken(verifying: text, callID: "call-2@host", tags: ["abc"], keys: keys) }
        #expect(throws: DialogTokenError.badMAC) { try DialogToken(verifying: text, callID: "call-1@host", tags: ["abd"], keys: keys) }
        // Every single-character change is caught.
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        for index in text.indices {
            var altered = text
            let replacement = alphabet.first { $0 != text[index] } ?? "A"
            altered.replaceSubrange(index...index, with: String(replacement))
            #expect(throws: DialogTokenError.self) {
                try DialogToken(verifying: altered, callID: "call-1@host", tags: ["abc"], keys: keys)
            }
        }
        let foreign = DialogToken.mint(flow: flow, callID: "call-1@host", initiatorTag: "abc", now: 1_800_000_000, keyring: Self.other)
        #expect(throws: DialogTokenError.unknownKey) { try DialogToken(verifying: foreign, callID: "call-1@host", tags: ["abc"], keys: keys) }
        for garbage in ["", "abc", String(repeating: "A", count: 48), "+/==" + text.dropFirst(4)] {
            #expect(throws: DialogTokenError.self) { try DialogToken(verifying: garbage, callID: "call-1@host", tags: ["abc"], keys: keys) }
        }
    }

    @Test("tokens expire after the maximum age; issue times a little ahead are accepted")
    func expiry() throws {
        let text = DialogToken.mint(flow: Self.flows[0], callID: "c", initiatorTag: "t", now: 1_000_000, keyring: Self.keyring)
        let token = try DialogToken(verifying: text, callID: "c", tags: ["t"], keys: keys)
        #expect(!token.hasExpired(at: 1_000_000 + 3_600, maximumAge: 3_600))
        #expect(token.hasExpired(at: 1_000_000 + 3_601, maximumAge: 3_600))
        #expect(!token.hasExpired(at: 1_000_000 - 60, maximumAge: 3_600))
        #expect(token.hasExpired(at: 1_000_000 - 61, maximumAge: 3_600))
    }
}
