import PolicyStore
import TestSupport
import Testing
import Yams

@testable import sipfence

/// The streaming policy file reader against Yams' decoding of the same text: `policy
/// import` and `replay --policy` must read what they always read.
@Suite("Policy file reader: event by event, as Yams decodes")
struct PolicyDocumentReaderTests {
    static let sid = "AC0123456789abcdef0123456789abcdef"

    /// Documents both must read alike, by what they exercise.
    static let documents: [String: String] = [
        "every key, block style": """
            # a comment
            accounts:
              - sid: \(sid)
                ip_access_control_lists:
                  - sid: AL0123456789abcdef0123456789abcdef
                    friendly_name: carriers
                    ip_addresses:
                      - friendly_name: carrier A
                        ip_address: 192.0.2.0
                        cidr_prefix_length: 24
                      - ip_address: 2001:db8::/32
                  - friendly_name: office
                    ip_addresses:
                      - ip_address: 198.51.100.7
                credential_lists:
                  - sid: CL0123456789abcdef0123456789abcdef
                    friendly_name: phones
                    credentials:
                      - sid: CR0123456789abcdef0123456789abcdef
                        username: alice
                        realm: sipfence
                        ha1_md5: 0123456789abcdef0123456789abcdef
                        ha1_sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
                domains:
                  - domain_name: trunk.example.com
                    sid: SD0123456789abcdef0123456789abcdef
                    friendly_name: Trunk
                    voice_url: https://example.com/voice
                    voice_method: POST
                    voice_fallback_url: https://example.com/fallback
                    voice_fallback_method: GET
                    voice_status_callback_url: https://example.com/status
                    voice_status_callback_method: POST
                    sip_registration: true
                    emergency_calling_enabled: false
                    secure: true
                    byoc_trunk_sid: BY0123456789abcdef0123456789abcdef
                    emergency_caller_sid: PN0123456789abcdef0123456789abcdef
                    ip_access_control_list_mappings: [office]
                    auth_calls_ip_access_control_list_mappings:
                      - AL0123456789abcdef0123456789abcdef
                      - office
                    credential_list_mappings: [phones]
                    auth_calls_credential_list_mappings: [phones]
                    auth_registrations_credential_list_mappings: [phones]

            """,
        "flow style and quoting": """
            {accounts: [{sid: '\(sid)', ip_access_control_lists: [{friendly_name: "a list", ip_addresses: [{ip_address: "10.0.0.0/8", friendly_name: 'ten'}]}],
              domains: [{domain_name: a.example.com, friendly_name: "it's \\"quoted\\"", voice_url: 'single ''quoted'''}]}]}
            """,
        "block scalars": """
            accounts:
              - sid: \(sid)
                domains:
                  - domain_name: a.example.com
                    friendly_name: |
                      two
                      lines
                    voice_url: >-
                      folded
                      text
            """,
        "nulls are absent values; empty collections": """
            accounts:
              - sid: \(sid)
                domains:
                  - domain_name: b.example.com
                    sid: ~
                    friendly_name: null
                    secure:
                    ip_access_control_list_mappings:
                    credential_list_mappings: []
                ip_access_control_lists:
                  - friendly_name: empty
                    ip_addresses:
                  - friendly_name: also empty
                    sid: NULL
                    ip_addresses: []
                  - friendly_name: lengths
                    ip_addresses:
                      - ip_address: 192.0.2.1
                        cidr_prefix_length: ~
                        friendly_name: ~
            """,
        "YAML 1.1 booleans in any case": """
            accounts:
              - sid: \(sid)
                domains:
                  - {domain_name: c.example.com, secure: yes, sip_registration: On, emergency_calling_enabled: FALSE}
                  - {domain_name: d.example.com, secure: no, sip_registration: off, emergency_calling_enabled: True}
            """,
        "unknown keys are skipped, whatever they hold": """
            version: 2
            notes: {owner: ops, tags: [a, b, {c: [d]}]}
            accounts:
              - sid: \(sid)
                extra: [[1, 2], {x: y}]
                ip_access_control_lists:
                  - friendly_name: l
                    comment: |
                      text
                    ip_addresses:
                      - {ip_address: 203.0.113.9, note: {deep: [1]}}
            """,
        "scalars that look like numbers are text where text is wanted": """
            accounts:
              - sid: \(sid)
                ip_access_control_lists:
                  - friendly_name: 2024
                    ip_addresses:
                      - {ip_address: 10.1.2.3, friendly_name: 1.5, cidr_prefix_length: 32}
                domains:
                  - {domain_name: e.example.com, voice_method: 0x10}
            """,
        "explicit document markers": """
            %YAML 1.1
            ---
            accounts: []
            ...
            """,
        "no accounts": "accounts: []\n",
    ]

    @Test("reads what Yams' decoding reads", arguments: documents.keys.sorted())
    func parity(_ name: String) throws {
        let text = try #require(Self.documents[name])
        let expected = try YAMLDecoder().decode(PolicyDocument.self, from: text)
        #expect(try PolicyDocumentReader.read(yaml: text) == expected)
    }

    @Test("reads an export as it was written", arguments: [false, true])
    func exportRoundTrip(credentials: Bool) throws {
        var account = PolicyDocument.Account(sid: Self.sid)
        account.ipAccessControlLists = [
            .init(
                sid: "AL0123456789abcdef0123456789abcdef", friendlyName: "carriers: \"quoted\", #not a comment",
                ipAddresses: [
                    .init(friendlyName: "yes", ipAddress: "192.0.2.0/24"), .init(ipAddress: "2001:db8::/32"),
                    .init(friendlyName: "null", ipAddress: "198.51.100.7", cidrPrefixLength: 32),
                ])
        ]
        var domain = PolicyDocument.Domain(domainName: "trunk.example.com", ipAccessControlListMappings: ["carriers: \"quoted\", #not a comment"])
        domain.secure = true
        domain.friendlyName = "~"
        account.domains = [domain]
        if credentials {
            account.credentialLists = [
                .init(
                    friendlyName: "phones",
                    credentials: [
                        .init(username: "0123", realm: "on", ha1MD5: String(repeating: "0", count: 32), ha1SHA256: String(repeating: "f", count: 64))
                    ])
            ]
        }
        let document = PolicyDocument(accounts: [account])
        let text = try YAMLEncoder().encode(document)
        #expect(try PolicyDocumentReader.read(yaml: text) == document)
    }

    /// Documents the reader refuses, with the message's telling part.
    static let refusals: [(yaml: String, message: String)] = [
        ("", "holds none"),
        ("accounts: []\n---\naccounts: []\n", "holds more than one"),
        ("accounts: [\n", "line 2, column 1: not YAML"),
        ("domains: []\n", "the document): the key accounts is missing"),
        ("accounts:\n  - ip_access_control_lists: []\n", "line 2, column 5 (accounts[0]): the key sid is missing"),
        ("accounts: {sid: x}\n", "line 1, column 11 (accounts): expected a sequence, found a mapping"),
        ("accounts: ~\n", "(accounts): expected a sequence, found nothing (null)"),
        (
            "accounts:\n  - sid: \(sid)\n    domains:\n      - {domain_name: a.example.com, secure: maybe}\n",
            "line 4, column 46 (accounts[0].domains[0].secure): expected true or false, found \"maybe\""
        ),
        (
            "accounts:\n  - sid: \(sid)\n    domains:\n      - {domain_name: a.example.com, secure: 'true'}\n",
            "expected true or false, found \"true\""
        ),
        (
            "accounts:\n  - sid: \(sid)\n    ip_access_control_lists:\n      - friendly_name: l\n        ip_addresses:\n          - {ip_address: 10.0.0.1, cidr_prefix_length: 8x}\n",
            "(accounts[0].ip_access_control_lists[0].ip_addresses[0].cidr_prefix_length): expected a whole number, found \"8x\""
        ),
        (
            "accounts:\n  - sid: \(sid)\n    ip_access_control_lists:\n      - friendly_name: l\n        ip_addresses:\n          - ip_address: 10.0.0.1\n          - friendly_name: no address\n",
            "line 7, column 13 (accounts[0].ip_access_control_lists[0].ip_addresses[1]): the key ip_address is missing"
        ),
        ("accounts:\n  - sid: a\n    sid: b\n", "line 3, column 5 (accounts[0]): the key sid appears twice"),
        (
            "accounts:\n  - sid: &s \(sid)\n    domains:\n      - {domain_name: *s}\n",
            "(accounts[0].domains[0].domain_name): aliases (*name) are not supported"
        ),
        ("accounts:\n  - sid: [a]\n", "(accounts[0].sid): expected a scalar, found a sequence"),
    ]

    @Test("refuses what is not a policy document, saying where", arguments: refusals.indices)
    func refusal(_ index: Int) {
        let (yaml, message) = Self.refusals[index]
        #expect {
            try PolicyDocumentReader.read(yaml: yaml)
        } throws: { error in
            guard let error = error as? PolicyDocumentReadError else { return false }
            return error.description.contains(message)
        }
    }

    @Test("mutated documents are read or refused, never crash, and agree with Yams whenever both read them")
    func mutations() throws {
        let seeds = Self.documents.keys.sorted().compactMap { Self.documents[$0] }.map { Array($0.utf8) }
        let alphabet = Array(":-[]{},#&*!|>'\"\n \t?%@`~0123456789abcdefsyntrue".utf8)
        var generator = SplitMix64(seed: 11)
        var read = 0
        for round in 0..<3_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<Int.random(in: 1...4, using: &generator) where !bytes.isEmpty {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[index] = alphabet.randomElement(using: &generator) ?? 0x20
                case 1: bytes.remove(at: index)
                default: bytes.insert(alphabet.randomElement(using: &generator) ?? 0x20, at: index)
                }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            let ours = try? PolicyDocumentReader.read(yaml: text)
            guard let ours, let theirs = try? YAMLDecoder().decode(PolicyDocument.self, from: text) else { continue }
            read += 1
            #expect(ours == theirs, "round \(round): \(String(reflecting: text))")
        }
        #expect(read > 100, "most mutations still read: the comparison ran")
    }

    @Test("a file that cannot be opened is named with the reason")
    func missingFile() {
        #expect(throws: PolicyDocumentReadError.cannotOpen("/nonexistent/policy.yaml", reason: "No such file or directory")) {
            try PolicyDocumentReader.read(contentsOf: "/nonexistent/policy.yaml")
        }
    }
}
