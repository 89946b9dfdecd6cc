import AccessControl
import Admission
import Foundation
import Logging
import PolicyStore
import SIPCore
import SIPEdge
import Yams

/// Reads a ``DaemonConfiguration`` from YAML, applies `SIPFENCE_*` environment
/// overrides, and checks every value, reporting all problems at once with their keys.
///
/// Every key can be overridden by an environment variable named after its path: dots
/// and dashes become `_`, letters upper case, with a `SIPFENCE_` prefix
/// (`sip.upstream` → `SIPFENCE_SIP_UPSTREAM`). Lists are written comma-separated
/// (`SIPFENCE_SIP_LISTEN=udp:0.0.0.0:5060,tcp:0.0.0.0:5060`); `accounts` as
/// `SID:TOKEN` pairs (`SIPFENCE_ACCOUNTS=AC…:token,AC…:token`), their API keys as
/// `ACCOUNT:KEY:SECRET` triples (`SIPFENCE_API_KEYS=AC…:SK…:secret,…`), which replace
/// every `accounts[].api_keys` of the file, and the operator accounts as SIDs
/// (`SIPFENCE_OPERATORS=AC…,AC…`), which replace every `accounts[].operator`.
struct ConfigurationLoader {
    /// The keys sipfence knows, by section, and whether each holds a list.
    static let schema: [String: [String: Bool]] = [
        "sip": [
            "listen": true, "upstream_listen": true, "upstream": false, "dialog_token_max_age_seconds": false, "advertised_host": false, "unknown_domain_status": false,
            "checked_methods": true, "max_message_bytes": false, "max_tcp_connections": false,
            "max_tcp_connections_per_source": false, "tcp_reserved_for_known": false, "tcp_first_message_timeout": false,
            "tcp_message_timeout": false, "max_header_bytes": false,
            "tcp_idle_seconds": false, "secret": false, "digest_realm": false, "digest_algorithms": true,
            "digest_nonce_seconds": false, "auth_mode": false, "previous_secret": false, "previous_secret_until": false,
        ],
        // A mapping inside `sip`: `sip.flood.unknown_source_rate`, …
        "sip.flood": [
            "unknown_source_rate": false, "unknown_source_burst": false, "known_source_rate": false, "known_source_burst": false,
            "ban_after_seconds": false, "ban_seconds": false, "digest_failures_per_minute": false, "ipv6_prefix_length": false,
            "never_ban": true, "max_tracked_sources": false,
        ],
        "api": ["listen": false, "max_body_bytes": false],
        "store": ["path": false, "url": false, "tls_mode": false, "tls_ca": false],
        "policy": ["min_prefix_length_ipv4": false, "min_prefix_length_ipv6": false],
        "log": ["level": false, "format": false],
    ]

    var environment: [String: String]

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// The environment variable that overrides `key`.
    static func environmentName(for key: String) -> String {
        "SIPFENCE_" + key.uppercased().replacingOccurrences(of: ".", with: "_").replacingOccurrences(of: "-", with: "_")
    }

    /// Loads the file at `path`.
    func load(file path: String) throws(ConfigurationErrors) -> DaemonConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationErrors(errors: [ConfigurationError(key: path, reason: "cannot read the file: \(error.localizedDescription)")])
        }
        return try load(yaml: text, source: path)
    }

    /// Loads configuration text; `source` names it in errors.
    func load(yaml text: String, source: String) throws(ConfigurationErrors) -> DaemonConfiguration {
        let tree: Any?
        do {
            tree = try Yams.load(yaml: text)
        } catch {
            throw ConfigurationErrors(errors: [ConfigurationError(key: source, reason: "not valid YAML: \(error)")])
        }
        if let tree, !(tree is [String: Any]) {
            throw ConfigurationErrors(errors: [
                ConfigurationError(key: source, reason: "the top level must be a mapping of sections (sip, api, store, policy, accounts, log)")
            ])
        }
        var reader = Reader(tree: tree, environment: environment)
        let configuration = reader.read()
        guard reader.errors.isEmpty, let configuration else { throw ConfigurationErrors(errors: reader.errors) }
        return configuration
    }
}

/// One pass over a configuration tree, collecting values and errors.
private struct Reader {
    let root: [String: Any]
    let environment: [String: String]
    var errors: [ConfigurationError] = []

    init(tree: Any?, environment: [String: String]) {
        self.environment = environment
        self.root = tree as? [String: Any] ?? [:]
    }

    mutating func fail(_ key: String, _ reason: String) {
        errors.append(ConfigurationError(key: key, reason: reason))
    }

    mutating func read() -> DaemonConfiguration? {
        checkUnknownKeys()

        let listen = endpoints("sip.listen")
        // Unset or empty: the sip.listen sockets face both sides.
        let upstreamListenValue = raw("sip.upstream_listen")
        let upstreamListenUnset = upstreamListenValue == nil || (upstreamListenValue as? [Any])?.isEmpty == true
        let upstreamListen = upstreamListenUnset ? [] : endpoints("sip.upstream_listen")
        for (index, endpoint) in upstreamListen.enumerated() where listen.contains(endpoint) {
            fail("sip.upstream_listen[\(index)]", "\(endpoint) is in sip.listen too; a socket faces one side")
        }
        let dialogTokenMaxAge = int("sip.dialog_token_max_age_seconds", default: 86_400, in: 60...2_592_000)
        let upstream = endpoint("sip.upstream")
        if let upstream, upstream.port == 0 { fail("sip.upstream", "the upstream needs a port other than 0") }
        let advertisedHost = string("sip.advertised_host")
        let unknownDomainStatus = int("sip.unknown_domain_status", default: 403, in: 400...699)
        let checkedMethods = methods("sip.checked_methods")
        let maxMessageBytes = int("sip.max_message_bytes", default: 65_536, in: 1_024...1_048_576)
        let maxTCPConnections = int("sip.max_tcp_connections", default: 1_024, in: 1...1_000_000)
        let tcpIdleSeconds = int("sip.tcp_idle_seconds", default: 600, in: 1...86_400)
        let perSource = int("sip.max_tcp_connections_per_source", default: 64, in: 0...1_000_000)
        let reservedForKnown = number("sip.tcp_reserved_for_known", default: 0.25, in: 0...0.9)
        let firstMessageTimeout = number("sip.tcp_first_message_timeout", default: 10, in: 0.1...3_600)
        let messageTimeout = number("sip.tcp_message_timeout", default: 20, in: 0.1...3_600)
        let maxHeaderBytes = int("sip.max_header_bytes", default: 16_384, in: 512...1_048_576)
        if maxHeaderBytes > maxMessageBytes {
            fail("sip.max_header_bytes", "must not be larger than sip.max_message_bytes (\(maxMessageBytes))")
        }
        let flood = floodLimits()
        // Without sip.secret the daemon uses the one kept in the store (see Daemon).
        var keyring: SIPKeyring?
        if let secretText = string("sip.secret") {
            keyring = SIPKeyring(hex: secretText)
            if keyring == nil {
                fail(
                    "sip.secret",
                    "must be at least 32 hexadecimal digits (128 bits), an even number, e.g. from `openssl rand -hex 32`")
            }
        }

        let digestRealm = string("sip.digest_realm") ?? "sipfence"
        do {
            try CredentialSecret.checkRealm(digestRealm)  // the rule the stored hashes are held to
        } catch .invalidCredentialSecret(let reason) {
            fail("sip.digest_realm", reason)
        } catch {
            fail("sip.digest_realm", error.description)
        }

        let rotation = keyRotation(current: keyring)
        let digestAlgorithms = algorithms("sip.digest_algorithms")
        let nonceSeconds = int("sip.digest_nonce_seconds", default: 300, in: 10...86_400)
        let authMode = enumeration(
            "sip.auth_mode", default: DigestSettings.Mode.all, DigestSettings.Mode.allCases.map { ($0.rawValue, $0) })

        let api = apiListener()
        let maxBodyBytes = int("api.max_body_bytes", default: 65_536, in: 1_024...16_777_216)
        let store = storeLocation()
        let accounts = readAccounts()
        let minimumIPv4 = int("policy.min_prefix_length_ipv4", default: PrefixLengthMinimums.default.ipv4, in: 0...32)
        let minimumIPv6 = int("policy.min_prefix_length_ipv6", default: PrefixLengthMinimums.default.ipv6, in: 0...128)
        let prefixLengthMinimums = (try? PrefixLengthMinimums(ipv4: minimumIPv4, ipv6: minimumIPv6)) ?? .default
        let level = enumeration("log.level", default: Logger.Level.info, Logger.Level.allCases.map { ($0.rawValue, $0) })
        let format = enumeration(
            "log.format",
            default: DaemonConfiguration.LogFormat.text,
            DaemonConfiguration.LogFormat.allCases.map { ($0.rawValue, $0) }
        )

        guard errors.isEmpty, let upstream, let store, let api else { return nil }
        let sip = SIPEdgeConfiguration(
                listen: listen,
                upstreamListen: upstreamListen,
                upstream: upstream,
                advertisedHost: advertisedHost,
                unknownDomainStatus: SIPStatus(code: unknownDomainStatus),
                checkedMethods: checkedMethods,
                dialogTokenMaxAge: UInt64(dialogTokenMaxAge),
                // Without sip.secret, a placeholder until the daemon installs the store's keys.
                keyring: keyring ?? .random(),
                digest: DigestSettings(
                    realm: digestRealm, algorithms: digestAlgorithms, nonceLifetime: UInt64(nonceSeconds), mode: authMode,
                    keyring: keyring ?? .random()),
                rotation: rotation,
                maxMessageBytes: maxMessageBytes,
                maxTCPConnections: maxTCPConnections,
                maxTCPConnectionsPerSource: perSource,
                tcpReservedForKnown: reservedForKnown,
                tcpIdleTimeout: .seconds(tcpIdleSeconds),
                tcpFirstMessageTimeout: .milliseconds(Int64((firstMessageTimeout * 1_000).rounded())),
                tcpMessageTimeout: .milliseconds(Int64((messageTimeout * 1_000).rounded())),
                maxHeaderBytes: maxHeaderBytes,
                flood: flood
            )
        for problem in sip.reachabilityProblems { fail(problem.key, problem.reason) }
        guard errors.isEmpty else { return nil }
        return DaemonConfiguration(
            sip: sip,
            keyring: keyring,
            api: DaemonConfiguration.API(host: api.host, port: api.port, maxBodyBytes: maxBodyBytes),
            store: store,
            prefixLengthMinimums: prefixLengthMinimums,
            accounts: accounts,
            logLevel: level,
            logFormat: format
        )
    }

    // MARK: Raw values

    /// The value of `key`: its environment override, or its value in the file.
    func raw(_ key: String) -> Any? {
        if let override = environment[ConfigurationLoader.environmentName(for: key)] {
            let parts = key.split(separator: ".")
            let section = parts.dropLast().joined(separator: ".")
            let isList = parts.last.flatMap { ConfigurationLoader.schema[section]?[String($0)] } ?? false
            return isList ? override.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } : override
        }
        var node: Any? = root
        for part in key.split(separator: ".") {
            node = (node as? [String: Any])?[String(part)]
        }
        return node
    }

    mutating func checkUnknownKeys() {
        for (section, value) in root {
            if section == "accounts" { continue }
            guard !section.contains("."), let known = ConfigurationLoader.schema[section] else {
                fail(section, "unknown section; the sections are sip, api, store, policy, accounts and log")
                continue
            }
            guard let keys = value as? [String: Any] else {
                fail(section, "must be a mapping of keys")
                continue
            }
            let subsections = ConfigurationLoader.schema.keys.filter { $0.hasPrefix(section + ".") }.map { String($0.dropFirst(section.count + 1)) }
            for key in keys.keys where known[key] == nil {
                if let inner = ConfigurationLoader.schema["\(section).\(key)"] {
                    guard let innerKeys = keys[key] as? [String: Any] else {
                        fail("\(section).\(key)", "must be a mapping of keys")
                        continue
                    }
                    for innerKey in innerKeys.keys where inner[innerKey] == nil {
                        fail("\(section).\(key).\(innerKey)", "unknown key; \(section).\(key) has \(inner.keys.sorted().joined(separator: ", "))")
                    }
                    continue
                }
                fail("\(section).\(key)", "unknown key; \(section) has \((known.keys + subsections).sorted().joined(separator: ", "))")
            }
        }
    }

    // MARK: Typed values

    /// `store.url` (with `store.tls_mode` and `store.tls_ca`) or `store.path`.
    mutating func storeLocation() -> StoreLocation? {
        let tlsMode = enumeration(
            "store.tls_mode", default: PostgresStoreSettings.TLSMode.disable,
            PostgresStoreSettings.TLSMode.allCases.map { ($0.rawValue, $0) })
        let tlsCA = string("store.tls_ca")
        if let url = string("store.url") {
            if tlsCA != nil, tlsMode != .verifyFull {
                fail("store.tls_ca", "is used only with store.tls_mode: verify-full")
            }
            do {
                return .postgres(try PostgresStoreSettings(url: url, tlsMode: tlsMode, tlsCAFile: tlsCA))
            } catch {
                fail("store.url", error.description)
                return nil
            }
        }
        guard let path = string("store.path") else {
            fail("store.path", "required (or store.url): the SQLite file that holds the policy")
            return nil
        }
        return .sqlite(path: path)
    }

    mutating func string(_ key: String) -> String? {
        switch raw(key) {
        case nil:
            return nil
        case let text as String:
            return text.isEmpty ? nil : text
        case let number as Int:
            return String(number)
        case let date as Date:
            // YAML reads an unquoted timestamp as a date; keys that take one parse it back.
            return ISO8601DateFormatter().string(from: date)
        default:
            fail(key, "must be a string")
            return nil
        }
    }

    mutating func strings(_ key: String) -> [String]? {
        switch raw(key) {
        case nil:
            return nil
        case let list as [Any]:
            var result: [String] = []
            for (index, element) in list.enumerated() {
                guard let text = element as? String else {
                    fail("\(key)[\(index)]", "must be a string")
                    continue
                }
                result.append(text)
            }
            return result
        default:
            fail(key, "must be a list")
            return nil
        }
    }

    mutating func int(_ key: String, default fallback: Int, in range: ClosedRange<Int>) -> Int {
        let value: Int?
        switch raw(key) {
        case nil: return fallback
        case let number as Int: value = number
        case let text as String: value = Int(text.trimmingCharacters(in: .whitespaces))
        default: value = nil
        }
        guard let value, range.contains(value) else {
            fail(key, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            return fallback
        }
        return value
    }

    /// A number (whole or decimal) within `range`.
    mutating func number(_ key: String, default fallback: Double, in range: ClosedRange<Double>) -> Double {
        let value: Double?
        switch raw(key) {
        case nil: return fallback
        case let number as Int: value = Double(number)
        case let number as Double: value = number
        case let text as String: value = Double(text.trimmingCharacters(in: .whitespaces))
        default: value = nil
        }
        guard let value, value.isFinite, range.contains(value) else {
            fail(key, "must be a number from \(String(format: "%g", range.lowerBound)) to \(String(format: "%g", range.upperBound))")
            return fallback
        }
        return value
    }

    /// `sip.flood.*`: the per-source flood limits, with the defaults of ``FloodLimits``.
    mutating func floodLimits() -> FloodLimits {
        let defaults = FloodLimits()
        var neverBan: [IPPrefix] = []
        for (index, text) in (strings("sip.flood.never_ban") ?? []).enumerated() {
            do {
                neverBan.append(try IPPrefix(text.trimmingCharacters(in: .whitespaces)))
            } catch {
                fail("sip.flood.never_ban[\(index)]", "\(String(reflecting: text)) is not an IP address or prefix: \(error)")
            }
        }
        return FloodLimits(
            unknownSourceRate: number("sip.flood.unknown_source_rate", default: defaults.unknownSourceRate, in: 0...1_000_000),
            unknownSourceBurst: number("sip.flood.unknown_source_burst", default: defaults.unknownSourceBurst, in: 1...1_000_000),
            knownSourceRate: number("sip.flood.known_source_rate", default: defaults.knownSourceRate, in: 0...1_000_000),
            knownSourceBurst: number("sip.flood.known_source_burst", default: defaults.knownSourceBurst, in: 1...1_000_000),
            banAfter: number("sip.flood.ban_after_seconds", default: defaults.banAfter, in: 0...86_400),
            banDuration: number("sip.flood.ban_seconds", default: defaults.banDuration, in: 1...2_592_000),
            digestFailuresPerMinute: int("sip.flood.digest_failures_per_minute", default: defaults.digestFailuresPerMinute, in: 0...100_000),
            ipv6PrefixLength: int("sip.flood.ipv6_prefix_length", default: defaults.ipv6PrefixLength, in: 32...128),
            neverBan: neverBan,
            maxTrackedSources: int("sip.flood.max_tracked_sources", default: defaults.maxTrackedSources, in: 1_024...16_777_216)
        )
    }

    mutating func enumeration<Value>(_ key: String, default fallback: Value, _ choices: [(String, Value)]) -> Value {
        guard let text = string(key) else { return fallback }
        guard let value = choices.first(where: { $0.0 == text.lowercased() })?.1 else {
            fail(key, "must be one of \(choices.map(\.0).joined(separator: ", "))")
            return fallback
        }
        return value
    }

    mutating func endpoint(_ key: String) -> SIPEndpoint? {
        guard let text = string(key) else {
            fail(key, "required: where admitted traffic goes, as udp:HOST:PORT or tcp:HOST:PORT")
            return nil
        }
        do {
            return try SIPEndpoint(text)
        } catch {
            fail(key, error.description)
            return nil
        }
    }

    mutating func endpoints(_ key: String) -> [SIPEndpoint] {
        guard let texts = strings(key), !texts.isEmpty else {
            fail(key, "required: at least one udp:HOST:PORT or tcp:HOST:PORT to listen on")
            return []
        }
        var endpoints: [SIPEndpoint] = []
        for (index, text) in texts.enumerated() {
            do {
                let endpoint = try SIPEndpoint(text)
                if endpoints.contains(endpoint) {
                    fail("\(key)[\(index)]", "\(text) is listed twice")
                }
                endpoints.append(endpoint)
            } catch {
                fail("\(key)[\(index)]", error.description)
            }
        }
        return endpoints
    }

    /// `sip.previous_secret` and `sip.previous_secret_until` (RFC 3339, e.g.
    /// `2026-12-08T00:00:00Z`): both or neither. The previous secret must differ from
    /// `current` (when configured) and have another key id, so signed values tell them
    /// apart.
    mutating func keyRotation(current: SIPKeyring?) -> KeyRotation? {
        let secretText = string("sip.previous_secret")
        let untilText = string("sip.previous_secret_until")
        guard secretText != nil || untilText != nil else { return nil }
        guard let secretText else {
            fail("sip.previous_secret", "required with sip.previous_secret_until: the secret being rotated out")
            return nil
        }
        guard let untilText else {
            fail("sip.previous_secret_until", "required with sip.previous_secret: when to stop accepting it (RFC 3339)")
            return nil
        }
        guard let previous = SIPKeyring(hex: secretText) else {
            fail("sip.previous_secret", "must be at least 32 hexadecimal digits (128 bits), an even number")
            return nil
        }
        guard let until = ISO8601DateFormatter().date(from: untilText) else {
            fail("sip.previous_secret_until", "must be an RFC 3339 date and time, e.g. 2026-12-08T00:00:00Z")
            return nil
        }
        let rotation = KeyRotation(previous: previous, acceptedUntil: UInt64(max(0, until.timeIntervalSince1970)))
        if let current, let conflict = rotation.conflict(with: current) {
            fail("sip.previous_secret", conflict)
            return nil
        }
        return rotation
    }

    /// `sip.digest_algorithms`: digest algorithms in challenge order, without repeats.
    mutating func algorithms(_ key: String) -> [DigestAlgorithm] {
        guard let texts = strings(key) else { return [.md5, .sha256] }
        var algorithms: [DigestAlgorithm] = []
        for (index, text) in texts.enumerated() {
            guard let algorithm = DigestAlgorithm(token: text) else {
                fail("\(key)[\(index)]", "\(String(reflecting: text)) is not a digest algorithm; use MD5 or SHA-256")
                continue
            }
            if algorithms.contains(algorithm) {
                fail("\(key)[\(index)]", "\(algorithm) is listed twice")
                continue
            }
            algorithms.append(algorithm)
        }
        if algorithms.isEmpty && errors.allSatisfy({ !$0.key.hasPrefix(key) }) {
            fail(key, "at least one digest algorithm (MD5, SHA-256) is needed")
        }
        return algorithms
    }

    mutating func methods(_ key: String) -> Set<String> {
        guard let texts = strings(key) else { return ["*"] }
        var methods = Set<String>()
        for (index, text) in texts.enumerated() {
            if text == "*" {
                methods.insert(text)
                continue
            }
            let valid = !text.isEmpty && text.utf8.allSatisfy { $0 >= 0x21 && $0 <= 0x7E && !"()<>@,;:\\\"/[]?={}".utf8.contains($0) }
            guard valid else {
                fail("\(key)[\(index)]", "\(String(reflecting: text)) is not a SIP method")
                continue
            }
            if text == "ACK" {
                fail("\(key)[\(index)]", "ACK cannot be refused: it is never answered")
                continue
            }
            methods.insert(text)
        }
        return methods
    }

    /// `api.listen`: `HOST:PORT`, IPv6 hosts in brackets.
    mutating func apiListener() -> (host: String, port: Int)? {
        let text = string("api.listen") ?? "127.0.0.1:8080"
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            fail("api.listen", "must be HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080")
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard IPAddress(parsing: host) != nil else {
            fail("api.listen", "the host must be an IP address, not \(String(reflecting: host))")
            return nil
        }
        return (host, port)
    }

    mutating func readAccounts() -> [DaemonConfiguration.Account] {
        var accounts: [DaemonConfiguration.Account] = []
        if let override = environment[ConfigurationLoader.environmentName(for: "accounts")] {
            for (index, pair) in override.split(separator: ",").enumerated() {
                let parts = pair.split(separator: ":", maxSplits: 1).map(String.init)
                guard parts.count == 2 else {
                    fail("accounts[\(index)]", "SIPFENCE_ACCOUNTS entries are written SID:TOKEN")
                    continue
                }
                accounts.append(account(sid: parts[0], token: parts[1], key: "accounts[\(index)]"))
            }
        } else if let list = root["accounts"] as? [Any] {
            for (index, entry) in list.enumerated() {
                guard let fields = entry as? [String: Any], let sid = fields["sid"] as? String,
                    let token = fields["auth_token"] as? String
                else {
                    fail("accounts[\(index)]", "each account has a sid and an auth_token")
                    continue
                }
                for field in fields.keys where !["sid", "auth_token", "api_keys", "operator"].contains(field) {
                    fail("accounts[\(index)].\(field)", "unknown key; an account has sid, auth_token, api_keys and operator")
                }
                var entry = account(sid: sid, token: token, key: "accounts[\(index)]")
                entry.apiKeys = apiKeys(fields["api_keys"], key: "accounts[\(index)].api_keys")
                switch fields["operator"] {
                case nil: break
                case let flag as Bool: entry.isOperator = flag
                default: fail("accounts[\(index)].operator", "must be true or false")
                }
                accounts.append(entry)
            }
        } else if root["accounts"] != nil {
            fail("accounts", "must be a list of {sid, auth_token}")
        }
        if accounts.isEmpty && errors.allSatisfy({ !$0.key.hasPrefix("accounts") }) {
            fail("accounts", "at least one account (sid, auth_token) is needed to manage the policy")
        }
        if Set(accounts.map(\.sid)).count != accounts.count {
            fail("accounts", "an account SID is listed twice")
        }
        if let override = environment[ConfigurationLoader.environmentName(for: "api_keys")] {
            for index in accounts.indices { accounts[index].apiKeys = [] }
            for (index, triple) in override.split(separator: ",").enumerated() {
                let key = "api_keys[\(index)]"
                let parts = triple.split(separator: ":", maxSplits: 2).map(String.init)
                guard parts.count == 3 else {
                    fail(key, "SIPFENCE_API_KEYS entries are written ACCOUNT_SID:KEY_SID:SECRET")
                    continue
                }
                guard let owner = accounts.firstIndex(where: { $0.sid == parts[0] }) else {
                    fail(key, "the account \(parts[0]) is not configured")
                    continue
                }
                accounts[owner].apiKeys.append(apiKey(sid: parts[1], secret: parts[2], key: key))
            }
        }
        if let override = environment[ConfigurationLoader.environmentName(for: "operators")] {
            let operators = override.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            for (index, sid) in operators.enumerated() where !accounts.contains(where: { $0.sid == sid }) {
                fail("operators[\(index)]", "the account \(sid) is not configured")
            }
            for index in accounts.indices { accounts[index].isOperator = operators.contains(accounts[index].sid) }
        }
        let keySIDs = accounts.flatMap { $0.apiKeys.map(\.sid) }
        if Set(keySIDs).count != keySIDs.count {
            fail("accounts", "an API key SID is listed twice")
        }
        return accounts
    }

    /// `accounts[].api_keys`: a list of `{sid, secret}`.
    mutating func apiKeys(_ value: Any?, key: String) -> [DaemonConfiguration.APIKey] {
        guard let value else { return [] }
        guard let list = value as? [Any] else {
            fail(key, "must be a list of {sid, secret}")
            return []
        }
        var keys: [DaemonConfiguration.APIKey] = []
        for (index, entry) in list.enumerated() {
            guard let fields = entry as? [String: Any], let sid = fields["sid"] as? String,
                let secret = fields["secret"] as? String
            else {
                fail("\(key)[\(index)]", "each API key has a sid (SK…) and a secret")
                continue
            }
            for field in fields.keys where field != "sid" && field != "secret" {
                fail("\(key)[\(index)].\(field)", "unknown key; an API key has sid and secret")
            }
            keys.append(apiKey(sid: sid, secret: secret, key: "\(key)[\(index)]"))
        }
        return keys
    }

    mutating func apiKey(sid: String, secret: String, key: String) -> DaemonConfiguration.APIKey {
        if !(sid.hasPrefix("SK") && sid.count == 34 && Self.isHex(sid.dropFirst(2))) {
            fail("\(key).sid", "must be SK followed by 32 hexadecimal digits, as Twilio API key SIDs are")
        }
        if secret.count < 16 {
            fail("\(key).secret", "must be at least 16 characters")
        }
        return DaemonConfiguration.APIKey(sid: sid, secret: secret)
    }

    /// Whether `text` is all hexadecimal digits, in either case.
    static func isHex(_ text: some StringProtocol) -> Bool {
        text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) }
    }

    mutating func account(sid: String, token: String, key: String) -> DaemonConfiguration.Account {
        if !(sid.hasPrefix("AC") && sid.count == 34 && Self.isHex(sid.dropFirst(2))) {
            fail("\(key).sid", "must be AC followed by 32 hexadecimal digits, as Twilio account SIDs are")
        }
        if token.count < 16 {
            fail("\(key).auth_token", "must be at least 16 characters")
        }
        return DaemonConfiguration.Account(sid: sid, authToken: token)
    }
}
