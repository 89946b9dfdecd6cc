import AccessControl
import Admission
import Foundation
import PolicyStore
import SIPCore
import Testing

@testable import sipfence

@Suite("Configuration")
struct ConfigurationLoaderTests {
    static let minimal = """
        sip:
          listen: [udp:127.0.0.1:5060, "tcp:[::1]:5060"]
          upstream: udp:127.0.0.1:5070
        store:
          path: state/sipfence.sqlite
        accounts:
          - sid: AC0123456789abcdef0123456789abcdef
            auth_token: a-long-enough-token
        """

    func load(_ yaml: String, environment: [String: String] = [:]) throws(ConfigurationErrors) -> DaemonConfiguration {
        try ConfigurationLoader(environment: environment).load(yaml: yaml, source: "test.yaml")
    }

    func problems(_ yaml: String, environment: [String: String] = [:]) -> [String] {
        do {
            _ = try load(yaml, environment: environment)
            return []
        } catch {
            return error.errors.map(\.key)
        }
    }

    @Test("the defaults of DESIGN.md fill what is not written")
    func defaults() throws {
        let configuration = try load(Self.minimal)
        #expect(configuration.sip.listen.map(\.description) == ["udp:127.0.0.1:5060", "tcp:[::1]:5060"])
        #expect(configuration.sip.unknownDomainStatus.code == 403)
        #expect(configuration.sip.checkedMethods == ["*"])
        #expect(configuration.sip.upstreamListen.isEmpty)
        #expect(configuration.sip.dialogTokenMaxAge == 86_400)
        #expect(configuration.sip.maxMessageBytes == 65_536)
        #expect(configuration.sip.maxTCPConnections == 1_024)
        #expect(configuration.sip.tcpIdleTimeout == .seconds(600))
        #expect(configuration.api == DaemonConfiguration.API(host: "127.0.0.1", port: 8080, maxBodyBytes: 65_536))
        #expect(configuration.logLevel == .info && configuration.logFormat == .text)
        #expect(!configuration.secretConfigured)
        #expect(configuration.prefixLengthMinimums == .default)
        #expect(configuration.digestRealm == "sipfence")
        #expect(configuration.sip.digest.algorithms == [.md5, .sha256])
        #expect(configuration.sip.digest.nonceLifetime == 300 && configuration.sip.digest.mode == .all)
        #expect(configuration.accounts == [.init(sid: "AC0123456789abcdef0123456789abcdef", authToken: "a-long-enough-token")])
    }

    @Test("no socket of the upstream's family: refused, naming the key, never a silent drop (issue 9)")
    func unreachableUpstream() throws {
        let ipv6Only = Self.minimal.replacingOccurrences(of: #"listen: [udp:127.0.0.1:5060, "tcp:[::1]:5060"]"#, with: #"listen: ["udp:[::1]:5060"]"#)
        #expect(problems(ipv6Only) == ["sip.listen"])
        do {
            _ = try load(ipv6Only)
        } catch {
            #expect(error.errors.first?.reason.contains("IPv4") == true)
        }
        // A dual-stack wildcard socket reaches IPv4 too.
        #expect(problems(ipv6Only.replacingOccurrences(of: "udp:[::1]:5060", with: "udp:[::]:5060")).isEmpty)
        // With inside sockets, they must reach the upstream; a socket faces one side.
        let sides = Self.minimal.replacingOccurrences(of: "  upstream: udp:127.0.0.1:5070", with: "  upstream: udp:127.0.0.1:5070\n  upstream_listen: [\"tcp:[::1]:5062\"]")
        #expect(problems(sides) == ["sip.upstream_listen"])
        #expect(problems(sides.replacingOccurrences(of: "tcp:[::1]:5062", with: "udp:127.0.0.1:5062")).isEmpty)
        #expect(problems(sides.replacingOccurrences(of: "tcp:[::1]:5062", with: "udp:127.0.0.1:5060")) == ["sip.upstream_listen[0]"])
    }

    @Test("every key can be overridden from the environment")
    func environmentOverrides() throws {
        let environment = [
            "SIPFENCE_SIP_UPSTREAM": "tcp:[::1]:5080",
            "SIPFENCE_SIP_LISTEN": "udp:0.0.0.0:5060, tcp:0.0.0.0:5061",
            "SIPFENCE_SIP_UPSTREAM_LISTEN": "udp:[::]:5062, tcp:[::1]:5062",
            "SIPFENCE_SIP_DIALOG_TOKEN_MAX_AGE_SECONDS": "3600",
            "SIPFENCE_SIP_UNKNOWN_DOMAIN_STATUS": "404",
            "SIPFENCE_SIP_CHECKED_METHODS": "INVITE,MESSAGE",
            "SIPFENCE_SIP_SECRET": "00112233445566778899aabbccddeeff",
            "SIPFENCE_SIP_ADVERTISED_HOST": "198.51.100.10",
            "SIPFENCE_SIP_MAX_MESSAGE_BYTES": "16384",
            "SIPFENCE_SIP_MAX_TCP_CONNECTIONS": "77",
            "SIPFENCE_SIP_TCP_IDLE_SECONDS": "30",
            "SIPFENCE_SIP_MAX_TCP_CONNECTIONS_PER_SOURCE": "7",
            "SIPFENCE_SIP_TCP_RESERVED_FOR_KNOWN": "0.5",
            "SIPFENCE_SIP_TCP_FIRST_MESSAGE_TIMEOUT": "2.5",
            "SIPFENCE_SIP_TCP_MESSAGE_TIMEOUT": "4",
            "SIPFENCE_SIP_MAX_HEADER_BYTES": "8192",
            "SIPFENCE_SIP_FLOOD_UNKNOWN_SOURCE_RATE": "12.5",
            "SIPFENCE_SIP_FLOOD_UNKNOWN_SOURCE_BURST": "25",
            "SIPFENCE_SIP_FLOOD_KNOWN_SOURCE_RATE": "100",
            "SIPFENCE_SIP_FLOOD_KNOWN_SOURCE_BURST": "300",
            "SIPFENCE_SIP_FLOOD_BAN_AFTER_SECONDS": "3",
            "SIPFENCE_SIP_FLOOD_BAN_SECONDS": "120",
            "SIPFENCE_SIP_FLOOD_DIGEST_FAILURES_PER_MINUTE": "4",
            "SIPFENCE_SIP_FLOOD_IPV6_PREFIX_LENGTH": "56",
            "SIPFENCE_SIP_FLOOD_NEVER_BAN": "192.0.2.0/24, 2001:db8::1",
            "SIPFENCE_SIP_FLOOD_MAX_TRACKED_SOURCES": "4096",
            "SIPFENCE_OPERATORS": "AC00000000000000000000000000000002",
            "SIPFENCE_SIP_DIGEST_REALM": "calls.example.com",
            "SIPFENCE_SIP_DIGEST_ALGORITHMS": "SHA-256, md5",
            "SIPFENCE_SIP_DIGEST_NONCE_SECONDS": "60",
            "SIPFENCE_SIP_AUTH_MODE": "any",
            "SIPFENCE_SIP_PREVIOUS_SECRET": "ffeeddccbbaa99887766554433221100",
            "SIPFENCE_SIP_PREVIOUS_SECRET_UNTIL": "2026-12-08T00:00:00Z",
            "SIPFENCE_API_MAX_BODY_BYTES": "4096",
            "SIPFENCE_API_LISTEN": "[::1]:9090",
            "SIPFENCE_STORE_PATH": "/var/lib/sipfence/x.sqlite",
            "SIPFENCE_STORE_URL": "postgres://sipfence:pw@db.example.net:6432/policy",
            "SIPFENCE_STORE_TLS_MODE": "verify-full",
            "SIPFENCE_STORE_TLS_CA": "/etc/sipfence/db-ca.pem",
            "SIPFENCE_POLICY_MIN_PREFIX_LENGTH_IPV4": "0",
            "SIPFENCE_POLICY_MIN_PREFIX_LENGTH_IPV6": "32",
            "SIPFENCE_ACCOUNTS": "AC00000000000000000000000000000001:token-one-is-long,AC00000000000000000000000000000002:token-two-is-long",
            "SIPFENCE_API_KEYS": "AC00000000000000000000000000000002:SK00000000000000000000000000000003:key-secret-is-long-enough",
            "SIPFENCE_LOG_LEVEL": "debug",
            "SIPFENCE_LOG_FORMAT": "json",
        ]
        let configuration = try load(Self.minimal, environment: environment)
        #expect(configuration.sip.upstream.description == "tcp:[::1]:5080")
        #expect(configuration.sip.listen.map(\.description) == ["udp:0.0.0.0:5060", "tcp:0.0.0.0:5061"])
        #expect(configuration.sip.upstreamListen.map(\.description) == ["udp:[::]:5062", "tcp:[::1]:5062"])
        #expect(configuration.sip.dialogTokenMaxAge == 3_600)
        #expect(configuration.sip.unknownDomainStatus.code == 404)
        #expect(configuration.sip.checkedMethods == ["INVITE", "MESSAGE"])
        #expect(configuration.sip.secret == SIPKeyring(hex: "00112233445566778899aabbccddeeff")?.statelessSecret)
        #expect(configuration.secretConfigured)
        #expect(configuration.sip.advertisedHost == "198.51.100.10")
        #expect(configuration.sip.maxMessageBytes == 16_384)
        #expect(configuration.sip.maxTCPConnections == 77)
        #expect(configuration.sip.tcpIdleTimeout == .seconds(30))
        #expect(configuration.sip.maxTCPConnectionsPerSource == 7)
        #expect(configuration.sip.tcpReservedForKnown == 0.5)
        #expect(configuration.sip.tcpFirstMessageTimeout == .milliseconds(2_500))
        #expect(configuration.sip.tcpMessageTimeout == .seconds(4))
        #expect(configuration.sip.maxHeaderBytes == 8_192)
        #expect(
            configuration.sip.flood
                == FloodLimits(
                    unknownSourceRate: 12.5, unknownSourceBurst: 25, knownSourceRate: 100, knownSourceBurst: 300, banAfter: 3,
                    banDuration: 120, digestFailuresPerMinute: 4, ipv6PrefixLength: 56,
                    neverBan: [try IPPrefix("192.0.2.0/24"), try IPPrefix("2001:db8::1")], maxTrackedSources: 4_096))
        #expect(configuration.accounts.map(\.isOperator) == [false, true])
        #expect(configuration.api.maxBodyBytes == 4_096)
        #expect(configuration.prefixLengthMinimums == (try PrefixLengthMinimums(ipv4: 0, ipv6: 32)))
        #expect(configuration.digestRealm == "calls.example.com")
        #expect(configuration.sip.digest.realm == "calls.example.com")
        #expect(configuration.sip.digest.algorithms == [.sha256, .md5])
        #expect(configuration.sip.digest.nonceLifetime == 60)
        #expect(configuration.sip.digest.mode == .any)
        #expect(configuration.sip.rotation?.previous == SIPKeyring(hex: "ffeeddccbbaa99887766554433221100"))
        #expect(configuration.sip.rotation?.acceptedUntil == 1_796_688_000)
        #expect(configuration.sip.digest.keyring == SIPKeyring(hex: "00112233445566778899aabbccddeeff"))
        #expect(configuration.accounts.map(\.apiKeys) == [
            [], [.init(sid: "SK00000000000000000000000000000003", secret: "key-secret-is-long-enough")],
        ])
        #expect(configuration.api.host == "::1" && configuration.api.port == 9090)
        // store.url wins over store.path.
        #expect(
            configuration.store
                == .postgres(
                    try PostgresStoreSettings(
                        url: "postgres://sipfence:pw@db.example.net:6432/policy", tlsMode: .verifyFull,
                        tlsCAFile: "/etc/sipfence/db-ca.pem")))
        #expect(configuration.accounts.map(\.sid) == ["AC00000000000000000000000000000001", "AC00000000000000000000000000000002"])
        #expect(configuration.logLevel == .debug && configuration.logFormat == .json)
        #expect(ConfigurationLoader.environmentName(for: "sip.max_tcp_connections") == "SIPFENCE_SIP_MAX_TCP_CONNECTIONS")
        // Every key of the schema was overridden above.
        let keys = ConfigurationLoader.schema.flatMap { section, keys in keys.keys.map { "\(section).\($0)" } } + [
            "accounts", "api_keys", "operators",
        ]
        for key in keys {
            #expect(environment[ConfigurationLoader.environmentName(for: key)] != nil, "\(key) is not overridden in this test")
        }
    }

    @Test(
        "store.path keeps SQLite; store.url (winning over store.path) selects PostgreSQL",
        arguments: [
            (["SIPFENCE_STORE_PATH": "/srv/p.sqlite"], "sqlite:/srv/p.sqlite"),
            (["SIPFENCE_STORE_URL": "postgres://u:secret@[2001:db8::5]/db"], "postgres://u@[2001:db8::5]:5432/db (TLS: disable)"),
            (
                ["SIPFENCE_STORE_URL": "postgresql://u@db:5433/db", "SIPFENCE_STORE_TLS_MODE": "require"],
                "postgres://u@db:5433/db (TLS: require)"
            ),
        ])
    func storeLocations(environment: [String: String], location: String) throws {
        #expect(try load(Self.minimal, environment: environment).store.description == location)
    }

    @Test(
        "store settings that cannot work are refused against their key",
        arguments: [
            (["SIPFENCE_STORE_URL": "mysql://u@db/db"], ["store.url"]),
            (["SIPFENCE_STORE_URL": "postgres://db/db"], ["store.url"]),
            (["SIPFENCE_STORE_URL": "postgres://u@db/db", "SIPFENCE_STORE_TLS_MODE": "prefer"], ["store.tls_mode"]),
            (["SIPFENCE_STORE_URL": "postgres://u@db/db", "SIPFENCE_STORE_TLS_CA": "/ca.pem"], ["store.tls_ca"]),
        ])
    func badStoreSettings(environment: [String: String], keys: [String]) {
        #expect(problems(Self.minimal, environment: environment) == keys)
    }

    @Test(
        "each mistake is reported against its key",
        arguments: [
            ("sip:\n  listen: []\n", ["sip.listen", "sip.upstream", "store.path", "accounts"]),
            (ConfigurationLoaderTests.minimal.replacingOccurrences(of: "udp:127.0.0.1:5070", with: "udp:proxy.example.com:5070"), ["sip.upstream"]),
            (ConfigurationLoaderTests.minimal.replacingOccurrences(of: "udp:127.0.0.1:5070", with: "udp:127.0.0.1:0"), ["sip.upstream"]),
            (ConfigurationLoaderTests.minimal.replacingOccurrences(of: "udp:127.0.0.1:5060", with: "sctp:127.0.0.1:5060"), ["sip.listen[0]"]),
            (ConfigurationLoaderTests.minimal.replacingOccurrences(of: "udp:127.0.0.1:5060", with: "udp:::1:5060"), ["sip.listen[0]"]),
            (ConfigurationLoaderTests.minimal + "\nlog:\n  level: loud\n  colour: red\n", ["log.level", "log.colour"]),
            (ConfigurationLoaderTests.minimal + "\nmisc: 1\n", ["misc"]),
            (ConfigurationLoaderTests.minimal.replacingOccurrences(
                of: "upstream: udp:127.0.0.1:5070",
                with: "upstream: udp:127.0.0.1:5070\n  tcp_reserved_for_known: 1.5\n  tcp_message_timeout: 0\n  max_header_bytes: 100000\n  max_tcp_connections_per_source: -1\n  flood:\n    unknown_source_rate: fast\n    ipv6_prefix_length: 16\n    never_ban: [192.0.2.0/33]\n    ban_for: 10"),
             ["sip.tcp_reserved_for_known", "sip.tcp_message_timeout", "sip.max_header_bytes", "sip.max_tcp_connections_per_source",
              "sip.flood.unknown_source_rate", "sip.flood.ipv6_prefix_length", "sip.flood.never_ban[0]", "sip.flood.ban_for"]),
            (ConfigurationLoaderTests.minimal.replacingOccurrences(of: "upstream: udp:127.0.0.1:5070", with: "upstream: udp:127.0.0.1:5070\n  flood: 3"),
             ["sip.flood"]),
            (ConfigurationLoaderTests.minimal.replacingOccurrences(
                of: "upstream: udp:127.0.0.1:5070",
                with: "upstream: udp:127.0.0.1:5070\n  digest_algorithms: [MD5, MD5-sess, md5]\n  auth_mode: either\n  digest_nonce_seconds: 1\n  digest_realm: 'a\"b'"),
             ["sip.digest_algorithms[1]", "sip.digest_algorithms[2]", "sip.auth_mode", "sip.digest_nonce_seconds", "sip.digest_realm"]),
            (ConfigurationLoaderTests.minimal.replacingOccurrences(
                of: "upstream: udp:127.0.0.1:5070", with: "upstream: udp:127.0.0.1:5070\n  previous_secret: 00112233445566778899aabbccddeeff"),
             ["sip.previous_secret_until"]),
            (ConfigurationLoaderTests.minimal.replacingOccurrences(
                of: "upstream: udp:127.0.0.1:5070",
                with: "upstream: udp:127.0.0.1:5070\n  previous_secret: 00112233445566778899aabbccddeeff\n  previous_secret_until: next week"),
             ["sip.previous_secret_until"]),
            (ConfigurationLoaderTests.minimal.replacingOccurrences(
                of: "upstream: udp:127.0.0.1:5070",
                with: "upstream: udp:127.0.0.1:5070\n  secret: 00112233445566778899aabbccddeeff\n  previous_secret: 00112233445566778899aabbccddeeff\n  previous_secret_until: 2026-12-08T00:00:00Z"),
             ["sip.previous_secret"]),
            (ConfigurationLoaderTests.minimal + "\npolicy:\n  min_prefix_length_ipv4: 33\n  min_prefix_length_ipv6: -1\n",
             ["policy.min_prefix_length_ipv4", "policy.min_prefix_length_ipv6"]),
            (ConfigurationLoaderTests.minimal.replacingOccurrences(of: "upstream: udp:127.0.0.1:5070", with: "upstream: udp:127.0.0.1:5070\n  unknown_domain_status: 302\n  checked_methods: [ACK, \"IN VITE\"]\n  secret: xyz\n  max_tcp_connections: 0"),
             ["sip.unknown_domain_status", "sip.checked_methods[0]", "sip.checked_methods[1]", "sip.secret", "sip.max_tcp_connections"]),
            (ConfigurationLoaderTests.minimal.replacingOccurrences(of: "AC0123456789abcdef0123456789abcdef", with: "SK123").replacingOccurrences(of: "a-long-enough-token", with: "short"),
             ["accounts[0].sid", "accounts[0].auth_token"]),
            (ConfigurationLoaderTests.minimal.replacingOccurrences(
                of: "auth_token: a-long-enough-token",
                with: "auth_token: a-long-enough-token\n    api_keys:\n      - {sid: AC0123456789abcdef0123456789abcdef, secret: short}\n      - {sid: SK0123456789abcdef0123456789abcdef, secret: long-enough-secret-1, colour: red}\n      - just-a-string"),
             ["accounts[0].api_keys[0].sid", "accounts[0].api_keys[0].secret", "accounts[0].api_keys[1].colour", "accounts[0].api_keys[2]"]),
            ("- just\n- a list\n", ["test.yaml"]),
            ("sip: [\n", ["test.yaml"]),
        ] as [(String, [String])]
    )
    func mistakes(yaml: String, keys: [String]) {
        #expect(Set(problems(yaml)) == Set(keys))
    }

    @Test("a reload keeps the store, the API listener and the digest realm of the running daemon")
    func restartOnlySettings() throws {
        let running = try load(Self.minimal)
        var reloaded = try load(
            Self.minimal.replacingOccurrences(of: "upstream: udp:127.0.0.1:5070", with: "upstream: udp:127.0.0.1:5070\n  digest_realm: other.example.com\n  auth_mode: any")
                .replacingOccurrences(of: "path: state/sipfence.sqlite", with: "path: elsewhere.sqlite")
                + "\napi:\n  listen: 127.0.0.1:9999\n")
        #expect(reloaded.keepRestartOnlySettings(of: running) == ["store.path / store.url", "api.listen / api.max_body_bytes", "sip.digest_realm"])
        #expect(reloaded.digestRealm == "sipfence" && reloaded.sip.digest.realm == "sipfence")
        #expect(reloaded.store == running.store && reloaded.api == running.api)
        #expect(reloaded.sip.digest.mode == .any)  // everything else reloads
        var unchanged = try load(Self.minimal)
        #expect(unchanged.keepRestartOnlySettings(of: running).isEmpty)
    }

    @Test("errors say what is wrong in words an operator can act on")
    func explanations() {
        do {
            _ = try load(Self.minimal.replacingOccurrences(of: "udp:127.0.0.1:5060", with: "udp:127.0.0.1:99999"))
            Issue.record("accepted port 99999")
        } catch {
            #expect(error.description == "sip.listen[0]: port \"99999\" is not a number from 0 to 65535")
        }
    }
}
