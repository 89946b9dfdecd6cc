import Foundation
import TestSupport

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The sipfence binary built beside the test bundle, run as a real process.
struct SipfenceDaemon {
    static let accountSID = "AC0123456789abcdef0123456789abcdef"
    static let authToken = "integration-test-auth-token"
    /// A second account, for isolation checks.
    static let otherAccountSID = "ACfedcba9876543210fedcba9876543210"
    static let otherAuthToken = "integration-test-other-token"
    static let apiKeySID = "SK0123456789abcdef0123456789abcdef"
    static let apiKeySecret = "integration-test-api-key-secret"

    /// `.build/<triple>/debug/sipfence`, next to the test binary.
    static var executable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("sipfence").path
    }

    /// The sockets a running daemon announced.
    struct Listening {
        var udp4: String = ""
        var tcp4: String = ""
        var udp6: String = ""
        var tcp6: String = ""
        var http: String = ""

        init(lines: [String]) {
            for line in lines where line.hasPrefix("listening ") {
                let parts = line.split(separator: " ")
                guard parts.count == 3 else { continue }
                let address = String(parts[2])
                let v6 = address.hasPrefix("[")
                switch parts[1] {
                case "udp": if v6 { udp6 = address } else { udp4 = address }
                case "tcp": if v6 { tcp6 = address } else { tcp4 = address }
                case "http": http = address
                default: break
                }
            }
        }

        var isComplete: Bool { !udp4.isEmpty && !tcp4.isEmpty && !udp6.isEmpty && !tcp6.isEmpty && !http.isEmpty }

        func port(_ address: String) -> Int { Int(address.split(separator: ":").last ?? "") ?? 0 }
    }

    /// Writes a configuration for a daemon on loopback (every port chosen by the kernel).
    static func writeConfiguration(in directory: URL, upstream: String, extra: String = "") throws -> String {
        try writeConfiguration(
            in: directory,
            sockets: """
                listen: [udp:127.0.0.1:0, tcp:127.0.0.1:0, "udp:[::1]:0", "tcp:[::1]:0"]
                upstream: \(upstream)
                """,
            extra: extra)
    }

    /// Writes `sipfence.yaml` in `directory`: the `sip` section's `sockets` lines (listen,
    /// upstream), then what every test daemon shares — the fixed secret, no flood limits,
    /// an API on a kernel-chosen loopback port, a store in `directory`, the two accounts —
    /// and `extra` top-level sections.
    static func writeConfiguration(in directory: URL, sockets: String, extra: String = "") throws -> String {
        let path = directory.appendingPathComponent("sipfence.yaml").path
        let sipLines = sockets.split(separator: "\n").map { "  \($0)" }.joined(separator: "\n")
        let yaml = """
            sip:
            \(sipLines)
              secret: 0123456789abcdef0123456789abcdef
              # Tests load the edge harder than any one caller would: no flood limits unless a
              # test sets them (through SIPFENCE_SIP_FLOOD_* variables).
              flood:
                unknown_source_rate: 0
                digest_failures_per_minute: 0
            api:
              listen: 127.0.0.1:0
            store:
              path: \(directory.appendingPathComponent("state/sipfence.sqlite").path)
            accounts:
              - sid: \(accountSID)
                auth_token: \(authToken)
                api_keys:
                  - sid: \(apiKeySID)
                    secret: \(apiKeySecret)
              - sid: \(otherAccountSID)
                auth_token: \(otherAuthToken)
            log:
              level: debug
            \(extra)
            """
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Starts `sipfence run` with `configuration`, waits until it announced every
    /// listener, runs `body`, and stops the daemon.
    static func run<Result>(
        configuration: String,
        environment: [String: String] = [:],
        body: (ManagedProcess, Listening, APIClient) async throws -> Result
    ) async throws -> Result {
        try await ManagedProcess.run(executable, arguments: ["run", "--config", configuration], environment: environment, name: "sipfence") {
            daemon in
            let lines = try await daemon.waitForOutput { Listening(lines: $0).isComplete }
            let listening = Listening(lines: lines)
            return try await body(daemon, listening, APIClient(base: "http://\(listening.http)"))
        }
    }
}

/// A client of sipfence's Twilio-compatible API, as the tests use it.
struct APIClient: Sendable {
    let base: String
    var accountSID = SipfenceDaemon.accountSID
    var authToken = SipfenceDaemon.authToken

    struct Response: @unchecked Sendable {
        let status: Int
        let body: Data
        var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:] }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    var accountPath: String { "/2010-04-01/Accounts/\(accountSID)/SIP" }

    func request(_ method: String, _ path: String, form: [(String, String)] = []) async throws -> Response {
        guard let url = URL(string: base + path) else { throw HarnessError.failed("bad URL \(path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        let credentials = Data("\(accountSID):\(authToken)".utf8).base64EncodedString()
        request.setValue("Basic \(credentials)", forHTTPHeaderField: "Authorization")
        if !form.isEmpty {
            request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            request.httpBody = Data(
                form.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.1)" }.joined(separator: "&").utf8
            )
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return Response(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: data)
    }

    /// Creates `domain`, a list with `addresses`, and maps it (Auth/Calls kind).
    /// Returns the domain and list SIDs.
    func provision(domain: String, addresses: [String]) async throws -> (domain: String, list: String) {
        let created = try await request("POST", "\(accountPath)/Domains.json", form: [("DomainName", domain), ("FriendlyName", "test")])
        guard created.status == 201, let domainSID = created.json["sid"] as? String else {
            throw HarnessError.failed("creating the domain: \(created.status) \(created.text)")
        }
        let list = try await request("POST", "\(accountPath)/IpAccessControlLists.json", form: [("FriendlyName", "callers")])
        guard list.status == 201, let listSID = list.json["sid"] as? String else {
            throw HarnessError.failed("creating the list: \(list.status) \(list.text)")
        }
        for address in addresses {
            let added = try await request(
                "POST",
                "\(accountPath)/IpAccessControlLists/\(listSID)/IpAddresses.json",
                form: [("FriendlyName", address), ("IpAddress", address)]
            )
            guard added.status == 201 else { throw HarnessError.failed("adding \(address): \(added.status) \(added.text)") }
        }
        try await map(list: listSID, to: domainSID)
        return (domainSID, listSID)
    }

    func map(list: String, to domain: String) async throws {
        let mapped = try await request(
            "POST",
            "\(accountPath)/Domains/\(domain)/Auth/Calls/IpAccessControlListMappings.json",
            form: [("IpAccessControlListSid", list)]
        )
        guard mapped.status == 201 else { throw HarnessError.failed("mapping: \(mapped.status) \(mapped.text)") }
    }

    func unmap(list: String, from domain: String) async throws {
        let deleted = try await request("DELETE", "\(accountPath)/Domains/\(domain)/Auth/Calls/IpAccessControlListMappings/\(list).json")
        guard deleted.status == 204 else { throw HarnessError.failed("unmapping: \(deleted.status) \(deleted.text)") }
    }

    /// Creates `domain` (with `form`'s extra settings, e.g. `SipRegistration`) unless it
    /// exists, a credential list with `username` / `password`, and maps it by `kind`
    /// (`Auth/Calls`, `Auth/Registrations` or the legacy path). Returns the domain SID.
    @discardableResult
    func provisionCredentials(
        domain: String, username: String, password: String, kind: String = "Auth/Calls",
        form: [(String, String)] = [], existingDomain: String? = nil
    ) async throws -> String {
        var domainSID = existingDomain ?? ""
        if existingDomain == nil {
            let created = try await request(
                "POST", "\(accountPath)/Domains.json", form: [("DomainName", domain)] + form)
            guard created.status == 201, let sid = created.json["sid"] as? String else {
                throw HarnessError.failed("creating the domain: \(created.status) \(created.text)")
            }
            domainSID = sid
        }
        let list = try await request("POST", "\(accountPath)/CredentialLists.json", form: [("FriendlyName", "phones")])
        guard list.status == 201, let listSID = list.json["sid"] as? String else {
            throw HarnessError.failed("creating the credential list: \(list.status) \(list.text)")
        }
        let credential = try await request(
            "POST", "\(accountPath)/CredentialLists/\(listSID)/Credentials.json",
            form: [("Username", username), ("Password", password)])
        guard credential.status == 201 else {
            throw HarnessError.failed("creating the credential: \(credential.status) \(credential.text)")
        }
        let path = kind.isEmpty ? "Domains/\(domainSID)/CredentialListMappings.json" : "Domains/\(domainSID)/\(kind)/CredentialListMappings.json"
        let mapped = try await request("POST", "\(accountPath)/\(path)", form: [("CredentialListSid", listSID)])
        guard mapped.status == 201 else { throw HarnessError.failed("mapping: \(mapped.status) \(mapped.text)") }
        return domainSID
    }

    /// `/metrics` as text.
    func metrics() async throws -> String {
        try await request("GET", "/metrics").text
    }

    /// The value of the Prometheus sample whose line starts with `prefix` (0 when absent).
    func metric(_ prefix: String) async throws -> Double {
        let text = try await metrics()
        for line in text.split(separator: "\n") where line.hasPrefix(prefix) {
            if let value = line.split(separator: " ").last.flatMap({ Double($0) }) { return value }
        }
        return 0
    }
}
