import AccessControl

/// A ``PolicyDocument`` checked and parsed: typed SIDs, names and prefixes, and mappings
/// resolved to the document's lists. Everything a document can get wrong by itself is
/// found here, before the store is touched.
enum ParsedPolicyDocument {
    struct Account: Sendable {
        var sid: SID
        var lists: [List]
        var credentialLists: [CredentialList]
        var domains: [Domain]
    }

    struct List: Sendable {
        var path: String
        var sid: SID?
        var friendlyName: String
        var addresses: [Address]

        /// The document path of the address at `index` (only built for messages: a list
        /// may hold a million addresses).
        func addressPath(_ index: Int) -> String {
            "\(path).ip_addresses[\(index)]"
        }
    }

    struct Address: Sendable {
        /// The friendly name the document gives, `nil` for the prefix's text (kept unset
        /// so that a large list does not hold a million copies of its prefixes as text).
        var givenName: String?
        var prefix: IPPrefix

        /// The entry's friendly name.
        var friendlyName: String { givenName ?? prefix.description }
    }

    struct CredentialList: Sendable {
        var path: String
        var sid: SID?
        var friendlyName: String
        var credentials: [Credential]
    }

    struct Credential: Sendable {
        var path: String
        var sid: SID?
        var username: String
        var secret: CredentialSecret
    }

    struct Domain: Sendable {
        var path: String
        var sid: SID?
        var name: DomainName
        var settings: DomainSettings
        /// For each kind, indexes into the account's lists.
        var mappings: [MappingKind: [Int]]
        /// For each kind, indexes into the account's credential lists.
        var credentialMappings: [CredentialMappingKind: [Int]]
    }
}

extension PolicyDocument {
    /// Checks and parses the document.
    func parsed() throws(PolicyDocumentError) -> [ParsedPolicyDocument.Account] {
        var accounts: [ParsedPolicyDocument.Account] = []
        var accountSIDs = Set<SID>()
        var domainNames = Set<DomainName>()
        for (accountIndex, account) in self.accounts.enumerated() {
            let path = "accounts[\(accountIndex)]"
            let sid = try Self.sid(account.sid, .account, path: "\(path).sid")
            guard accountSIDs.insert(sid).inserted else { throw .duplicate(path: "\(path).sid", "account \(sid)") }

            var listSIDs = Set<SID>()
            var lists: [ParsedPolicyDocument.List] = []
            for (listIndex, list) in account.ipAccessControlLists.enumerated() {
                let listPath = "\(path).ip_access_control_lists[\(listIndex)]"
                let listSID = try list.sid.map { text throws(PolicyDocumentError) in
                    try Self.sid(text, .ipAccessControlList, path: "\(listPath).sid")
                }
                if let listSID, !listSIDs.insert(listSID).inserted {
                    throw .duplicate(path: "\(listPath).sid", "list \(listSID)")
                }
                try Self.checkFriendlyName(list.friendlyName, maximum: 255, path: "\(listPath).friendly_name")
                var prefixes = Set<IPPrefix>()
                var addresses: [ParsedPolicyDocument.Address] = []
                addresses.reserveCapacity(list.ipAddresses.count)
                prefixes.reserveCapacity(list.ipAddresses.count)
                for (addressIndex, address) in list.ipAddresses.enumerated() {
                    let addressPath = { "\(listPath).ip_addresses[\(addressIndex)]" }
                    let prefix = try Self.prefix(address, path: addressPath)
                    guard prefixes.insert(prefix).inserted else {
                        throw .duplicate(path: addressPath(), "prefix \(prefix)")
                    }
                    if let name = address.friendlyName {
                        try Self.checkFriendlyName(name, maximum: 255, path: "\(addressPath()).friendly_name")
                    }
                    addresses.append(.init(givenName: address.friendlyName, prefix: prefix))
                }
                lists.append(.init(path: listPath, sid: listSID, friendlyName: list.friendlyName, addresses: addresses))
            }

            var credentialListSIDs = Set<SID>()
            var credentialSIDs = Set<SID>()
            var credentialLists: [ParsedPolicyDocument.CredentialList] = []
            for (listIndex, list) in account.credentialLists.enumerated() {
                let listPath = "\(path).credential_lists[\(listIndex)]"
                let listSID = try list.sid.map { text throws(PolicyDocumentError) in
                    try Self.sid(text, .credentialList, path: "\(listPath).sid")
                }
                if let listSID, !credentialListSIDs.insert(listSID).inserted {
                    throw .duplicate(path: "\(listPath).sid", "credential list \(listSID)")
                }
                try Self.checkFriendlyName(list.friendlyName, maximum: 64, path: "\(listPath).friendly_name")
                var usernames = Set<String>()
                var credentials: [ParsedPolicyDocument.Credential] = []
                for (credentialIndex, credential) in list.credentials.enumerated() {
                    let credentialPath = "\(listPath).credentials[\(credentialIndex)]"
                    let parsed = try Self.credential(credential, path: credentialPath)
                    if let sid = parsed.sid, !credentialSIDs.insert(sid).inserted {
                        throw .duplicate(path: "\(credentialPath).sid", "credential \(sid)")
                    }
                    guard usernames.insert(parsed.username).inserted else {
                        throw .duplicate(
                            path: "\(credentialPath).username", "username \(String(reflecting: parsed.username))")
                    }
                    credentials.append(parsed)
                }
                credentialLists.append(
                    .init(path: listPath, sid: listSID, friendlyName: list.friendlyName, credentials: credentials))
            }

            var domainSIDs = Set<SID>()
            var domains: [ParsedPolicyDocument.Domain] = []
            for (domainIndex, domain) in account.domains.enumerated() {
                let domainPath = "\(path).domains[\(domainIndex)]"
                let domainSID = try domain.sid.map { text throws(PolicyDocumentError) in
                    try Self.sid(text, .domain, path: "\(domainPath).sid")
                }
                if let domainSID, !domainSIDs.insert(domainSID).inserted {
                    throw .duplicate(path: "\(domainPath).sid", "domain \(domainSID)")
                }
                let name: DomainName
                do {
                    name = try DomainName(validating: domain.domainName)
                } catch {
                    throw .invalidDomainName(
                        path: "\(domainPath).domain_name", domain.domainName, reason: error.description)
                }
                guard domainNames.insert(name).inserted else {
                    throw .duplicate(path: "\(domainPath).domain_name", "domain name \(name)")
                }
                if let friendlyName = domain.friendlyName {
                    try Self.checkFriendlyName(friendlyName, maximum: 64, path: "\(domainPath).friendly_name")
                }
                let ipLists = lists.map { (sid: $0.sid, friendlyName: $0.friendlyName) }
                let legacy = try Self.resolve(
                    domain.ipAccessControlListMappings, in: ipLists, kind: .ipAccessControlList,
                    path: "\(domainPath).ip_access_control_list_mappings")
                let authCalls = try Self.resolve(
                    domain.authCallsIPAccessControlListMappings, in: ipLists, kind: .ipAccessControlList,
                    path: "\(domainPath).auth_calls_ip_access_control_list_mappings")
                var credentialMappings: [CredentialMappingKind: [Int]] = [:]
                for kind in CredentialMappingKind.allCases {
                    credentialMappings[kind] = try Self.resolve(
                        domain[credentialMappings: kind],
                        in: credentialLists.map { (sid: $0.sid, friendlyName: $0.friendlyName) },
                        kind: .credentialList, path: "\(domainPath).\(Self.credentialMappingKey(kind))")
                }
                domains.append(
                    .init(
                        path: domainPath, sid: domainSID, name: name, settings: domain.settings,
                        mappings: [.legacy: legacy, .authCalls: authCalls], credentialMappings: credentialMappings))
            }
            accounts.append(.init(sid: sid, lists: lists, credentialLists: credentialLists, domains: domains))
        }
        return accounts
    }

    private static func sid(_ text: String, _ kind: SID.Kind, path: String) throws(PolicyDocumentError) -> SID {
        guard let sid = SID(text, kind: kind) else { throw .invalidSID(path: path, text, expected: kind) }
        return sid
    }

    private static func checkFriendlyName(_ name: String, maximum: Int, path: String) throws(PolicyDocumentError) {
        guard !name.isEmpty else { throw .invalidFriendlyName(path: path, reason: "the friendly name is empty") }
        guard name.count <= maximum else {
            throw .invalidFriendlyName(
                path: path, reason: "the friendly name has \(name.count) characters; at most \(maximum) are allowed")
        }
    }

    private static func prefix(_ address: Address, path: () -> String) throws(PolicyDocumentError) -> IPPrefix {
        let text = address.ipAddress
        do {
            let prefix = try IPPrefix(text)
            // As in Twilio's API, a length of 0 is the default: the entire address. Only
            // slash notation (`0.0.0.0/0`) expresses a zero-length prefix.
            guard let length = address.cidrPrefixLength, length != 0 else { return prefix }
            if text.contains("/"), length != prefix.length {
                throw PolicyDocumentError.invalidAddress(
                    path: "\(path()).cidr_prefix_length", text,
                    reason: "cidr_prefix_length \(length) disagrees with the length in ip_address")
            }
            return try IPPrefix(address: prefix.network, length: length)
        } catch let error as IPAddressParseError {
            throw .invalidAddress(path: "\(path()).ip_address", text, reason: error.description)
        } catch let error as PolicyDocumentError {
            throw error
        } catch {
            throw .invalidAddress(path: "\(path()).ip_address", text, reason: "\(error)")
        }
    }

    /// The document key of a domain's credential list mappings of `kind`.
    static func credentialMappingKey(_ kind: CredentialMappingKind) -> String {
        switch kind {
        case .legacy: "credential_list_mappings"
        case .authCalls: "auth_calls_credential_list_mappings"
        case .authRegistrations: "auth_registrations_credential_list_mappings"
        }
    }

    /// A credential checked and parsed: a `CR` SID if any, a valid username, and a realm and
    /// hashes of the right shape.
    private static func credential(
        _ credential: Credential, path: String
    ) throws(PolicyDocumentError) -> ParsedPolicyDocument.Credential {
        let sid = try credential.sid.map { text throws(PolicyDocumentError) in
            try Self.sid(text, .credential, path: "\(path).sid")
        }
        do {
            try CredentialRecord.checkUsername(credential.username)
        } catch {
            throw .invalidCredential(path: "\(path).username", reason: error.description)
        }
        do {
            try CredentialSecret.checkRealm(credential.realm)
        } catch {
            throw .invalidCredential(path: "\(path).realm", reason: error.description)
        }
        let hashes: [(String, DigestAlgorithm, String)] = [
            (credential.ha1MD5, .md5, "ha1_md5"), (credential.ha1SHA256, .sha256, "ha1_sha256"),
        ]
        for (hash, algorithm, key) in hashes where !algorithm.isWellFormedHA1(hash) {
            throw .invalidCredential(
                path: "\(path).\(key)",
                reason:
                    "\(String(reflecting: hash)) is not an \(algorithm) HA1 (\(algorithm.hexLength) lower-case hex digits)"
            )
        }
        do {
            let secret = try CredentialSecret(
                realm: credential.realm, ha1MD5: credential.ha1MD5, ha1SHA256: credential.ha1SHA256)
            return .init(path: path, sid: sid, username: credential.username, secret: secret)
        } catch {
            throw .invalidCredential(path: path, reason: error.description)
        }
    }

    /// The indexes of the lists `references` name, without repeats, in order. `lists` are
    /// the account's lists of one type (their SIDs of `kind` and friendly names).
    private static func resolve(
        _ references: [String], in lists: [(sid: SID?, friendlyName: String)], kind: SID.Kind, path: String
    ) throws(PolicyDocumentError) -> [Int] {
        var indexes: [Int] = []
        for (index, reference) in references.enumerated() {
            let referencePath = "\(path)[\(index)]"
            let found: Int
            if let sid = SID(reference, kind: kind),
                let match = lists.firstIndex(where: { $0.sid == sid })
            {
                found = match
            } else {
                let matches = lists.indices.filter { lists[$0].friendlyName == reference }
                guard let first = matches.first else { throw .unknownListReference(path: referencePath, reference) }
                guard matches.count == 1 else { throw .ambiguousListReference(path: referencePath, reference) }
                found = first
            }
            if !indexes.contains(found) { indexes.append(found) }
        }
        return indexes
    }
}
