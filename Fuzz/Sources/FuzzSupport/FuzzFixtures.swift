public import AccessControl
public import Admission
public import SIPCore

#if canImport(Glibc)
import Glibc
#endif

/// The fixed world the fuzz targets decide in: sipfence with two sides (callers on
/// 203.0.113.1 / 2001:db8:1::1, the upstream 10.0.0.2 behind 10.0.0.1), a fixed keyring
/// (so that seeds can carry digest nonces and dialog tokens that verify), a key rotation
/// in progress, and a policy with IP lists and credential lists.
///
/// Everything here is a fixed fixture: setup failures are programming errors and trap.
public enum FuzzFixtures {
    /// Whether the targets print what they decide (`SIPFENCE_FUZZ_VERBOSE` set): for
    /// looking at one input, as in `SIPFENCE_FUZZ_VERBOSE=1 AdmissionDatagramFuzz crash-…`.
    public static let verbose = getenv("SIPFENCE_FUZZ_VERBOSE") != nil

    /// Writes a line to standard error (unbuffered: a trap follows soon after).
    public static func log(_ line: String) {
        var text = line + "\n"
        text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }

    /// The time decisions are made at: Thu, 30 Jul 2015 20:00:00 +0000.
    public static let now: UInt64 = 1_438_286_400

    /// The current master secret's keyring.
    public static let keyring = keyring("00112233445566778899aabbccddeeff")
    /// The previous keyring, still accepted for a while (a key rotation in progress).
    public static let previousKeyring = keyring("ffeeddccbbaa99887766554433221100")

    /// The digest realm and the password of every credential.
    public static let realm = "sipfence"
    public static let password = "Correct-Horse-42"

    public static let outsideUDP = interface("udp:203.0.113.1:5060", .callers)
    public static let outsideTCP = interface("tcp:203.0.113.1:5060", .callers)
    public static let outsideUDP6 = interface("udp:[2001:db8:1::1]:5060", .callers)
    public static let insideUDP = interface("udp:10.0.0.1:5060", .upstream)
    public static let insideTCP = interface("tcp:10.0.0.1:5060", .upstream)

    /// The upstream proxy.
    public static let upstream = endpoint("udp:10.0.0.2:5060")

    /// Settings variants: every method checked or INVITE only, both rules or either.
    public static let pipelines: [AdmissionPipeline] = [
        pipeline(checkedMethods: ["*"], mode: .all),
        pipeline(checkedMethods: ["INVITE"], mode: .any),
        pipeline(checkedMethods: ["*"], mode: .any),
        pipeline(checkedMethods: ["INVITE"], mode: .all),
    ]

    /// The moments a message can be decided at, relative to ``now``: at once, within a
    /// nonce's lifetime, after it (stale nonce), after the rotation and dialog tokens expired.
    public static let times: [UInt64] = [now, now + 200, now + 400, now + 100_000]

    /// example.com: 192.0.2.0/24 and 2001:db8::/32. digest.example.com: credentials only.
    /// both.example.com: the list and credentials. reg.example.com: registrations with
    /// credentials. closed.example.com: nothing.
    public static let policy: Policy = {
        let carriers = AccessList(id: "AL1", name: "carriers", prefixes: [prefix("192.0.2.0/24"), prefix("2001:db8::/32")])
        let phones = DigestCredentialList(id: "CL1", name: "phones", credentials: ["alice": credential("alice", list: "CL1")])
        let registrars = DigestCredentialList(id: "CL2", name: "registrations", credentials: ["bob": credential("bob", list: "CL2")])
        func domain(_ name: String) -> DomainName { DomainName(normalizing: name) }
        return Policy(
            generation: 1, lists: [carriers],
            mappings: [
                domain("example.com"): ["AL1"], domain("digest.example.com"): [], domain("both.example.com"): ["AL1"],
                domain("reg.example.com"): [], domain("closed.example.com"): [],
            ],
            credentialLists: [phones, registrars],
            authentication: [
                domain("digest.example.com"): .init(callCredentialLists: ["CL1"]),
                domain("both.example.com"): .init(callCredentialLists: ["CL1"]),
                domain("reg.example.com"): .init(registrationCredentialLists: ["CL2"], acceptsRegistrations: true),
            ])
    }()

    /// Where a message comes from.
    public enum SourceKind: CaseIterable, Sendable {
        /// A caller inside the carriers list.
        case listedCaller
        /// A caller outside every list.
        case stranger
        /// The upstream proxy, on the inside socket.
        case upstream
        /// A caller inside the list, over IPv6.
        case listedCallerIPv6
    }

    /// The source of `kind` over `transport` (UDP or TCP).
    public static func source(_ kind: SourceKind, transport: SIPTransport) -> SIPSource {
        let stream = transport.isStream
        switch kind {
        case .listedCaller:
            return SIPSource(
                transport: transport, address: address("192.0.2.10"), port: 5062, connection: SIPConnectionID(7),
                interface: (stream ? outsideTCP : outsideUDP).endpoint)
        case .stranger:
            return SIPSource(
                transport: transport, address: address("198.51.100.77"), port: 40_000, connection: SIPConnectionID(8),
                interface: (stream ? outsideTCP : outsideUDP).endpoint)
        case .upstream:
            return SIPSource(
                transport: transport, address: address("10.0.0.2"), port: 5060, connection: SIPConnectionID(9),
                interface: (stream ? insideTCP : insideUDP).endpoint)
        case .listedCallerIPv6:
            return SIPSource(
                transport: transport, address: address("2001:db8::10"), port: 5062, connection: SIPConnectionID(10),
                interface: stream ? nil : outsideUDP6.endpoint)
        }
    }

    // MARK: Construction of the fixed fixtures

    static func pipeline(checkedMethods: Set<String>, mode: DigestSettings.Mode) -> AdmissionPipeline {
        AdmissionPipeline(
            settings: AdmissionSettings(
                upstream: upstream,
                interfaces: [outsideUDP, outsideTCP, outsideUDP6, insideUDP, insideTCP],
                checkedMethods: checkedMethods,
                dialogTokenMaxAge: 3_600,
                secret: keyring.statelessSecret,
                digest: DigestSettings(realm: realm, algorithms: [.md5, .sha256], nonceLifetime: 300, mode: mode, keyring: keyring),
                rotation: KeyRotation(previous: previousKeyring, acceptedUntil: now + 1_000)))
    }

    static func credential(_ username: String, list: String) -> DigestCredentialSet.Credential {
        DigestCredentialSet.Credential(
            listID: list, realm: realm,
            ha1: Dictionary(
                uniqueKeysWithValues: DigestAlgorithm.allCases.map {
                    ($0, $0.ha1(username: username, realm: realm, password: password))
                }))
    }

    static func keyring(_ hex: String) -> SIPKeyring {
        guard let keyring = SIPKeyring(hex: hex) else { preconditionFailure("fixture keyring \(hex)") }
        return keyring
    }

    static func interface(_ text: String, _ side: SIPInterface.Side) -> SIPInterface {
        let endpoint = endpoint(text)
        return SIPInterface(endpoint: endpoint, advertisedHost: endpoint.address.description, side: side)
    }

    static func endpoint(_ text: String) -> SIPEndpoint {
        do { return try SIPEndpoint(text) } catch { preconditionFailure("fixture endpoint \(text): \(error)") }
    }

    static func address(_ text: String) -> IPAddress {
        do { return try IPAddress(text) } catch { preconditionFailure("fixture address \(text): \(error)") }
    }

    static func prefix(_ text: String) -> IPPrefix {
        do { return try IPPrefix(text) } catch { preconditionFailure("fixture prefix \(text): \(error)") }
    }
}
