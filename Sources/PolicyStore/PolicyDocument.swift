/// The whole policy as one document: for each account, its domains (with their settings
/// and mappings), its IP access control lists (with their addresses) and its credential
/// lists (with their credentials' digest hashes — never passwords).
///
/// This is the form a policy takes outside the database — in git, in `sipfence policy
/// export` / `policy import`. The library defines only the shape (`Codable`, with the
/// snake_case keys below); the executable chooses the encoding (YAML). Applying a document
/// with ``PolicyStore/apply(_:prune:)`` is idempotent: applying it again changes nothing
/// and does not bump the policy generation.
///
/// ```yaml
/// accounts:
///   - sid: AC0123456789abcdef0123456789abcdef
///     ip_access_control_lists:
///       - sid: AL0123456789abcdef0123456789abcdef   # optional; see below
///         friendly_name: carriers
///         ip_addresses:
///           - friendly_name: carrier A
///             ip_address: 192.0.2.0
///             cidr_prefix_length: 24               # optional: default the full length
///           - ip_address: 2001:db8::/32            # slash notation; friendly_name defaults to the prefix
///       - friendly_name: office
///         ip_addresses:
///           - ip_address: 198.51.100.7
///     credential_lists:                            # optional
///       - sid: CL0123456789abcdef0123456789abcdef   # optional, as for IP lists
///         friendly_name: phones                    # 1…64 characters
///         credentials:
///           - sid: CR0123456789abcdef0123456789abcdef  # optional; used when created
///             username: alice                      # 1…32 characters, unique in the list
///             realm: sipfence                      # the digest realm the hashes are for
///             ha1_md5: 0123456789abcdef0123456789abcdef   # 32 lower-case hex digits
///             ha1_sha256: 0123…cdef                # 64 lower-case hex digits
///     domains:
///       - domain_name: trunk.example.com
///         sid: SD0123456789abcdef0123456789abcdef  # optional; see below
///         friendly_name: Trunk
///         voice_url: https://example.com/voice     # any Twilio domain setting, all optional
///         secure: true
///         ip_access_control_list_mappings: [office]
///         auth_calls_ip_access_control_list_mappings:
///           - AL0123456789abcdef0123456789abcdef
///           - office
///         credential_list_mappings: [phones]      # credential lists, by SID or name
///         auth_calls_credential_list_mappings: [phones]
///         auth_registrations_credential_list_mappings: [phones]
/// ```
///
/// `ha1_md5` and `ha1_sha256` are `H(username ":" realm ":" password)` with MD5 and
/// SHA-256 (RFC 7616 §3.4.2). They verify only in their realm: a daemon configured with
/// another realm cannot authenticate those credentials. The credential keys and the
/// credential mapping keys are left out of an export when empty.
///
/// Identity, so that applying updates records in place instead of duplicating them:
/// - A domain is the one with the document's `sid` if the account has it, else the one
///   with its `domain_name`; otherwise it is created (with the document's `sid` if given).
/// - A list is the one with the document's `sid` if the account has it, else the only
///   list of the account with its `friendly_name`; otherwise it is created.
/// - An address is the entry of its list with the same prefix.
/// - A credential list is matched like an IP access control list (by `sid`, else by
///   `friendly_name`); a credential is the one of its list with the same `username` (its
///   `sid` is used only when it is created), and its realm and hashes are updated.
/// - A mapping names a list of the same account in the document by its `sid`, or by its
///   `friendly_name` when exactly one list of that type in the document has that name:
///   IP access control list mappings name IP access control lists, credential list
///   mappings credential lists.
///
/// ``PolicyStore/export()`` writes every SID, so an export applied to an empty store
/// recreates the same records with the same SIDs. Without `prune`, applying only adds and
/// updates; with `prune`, records of the document's accounts that the document does not
/// mention (domains, lists, addresses and credentials of the mentioned lists, mappings of
/// the mentioned domains) are deleted. Accounts the document does not list are never touched.
public struct PolicyDocument: Codable, Hashable, Sendable {
    /// The accounts, each with its records.
    public var accounts: [Account]

    /// A document of `accounts`.
    public init(accounts: [Account] = []) {
        self.accounts = accounts
    }

    /// One account's records.
    public struct Account: Codable, Hashable, Sendable {
        /// The account's SID (`AC…`).
        public var sid: String
        /// The account's domains.
        public var domains: [Domain]
        /// The account's IP access control lists.
        public var ipAccessControlLists: [IPAccessControlList]
        /// The account's credential lists.
        public var credentialLists: [CredentialList]

        /// An account entry.
        public init(
            sid: String, domains: [Domain] = [], ipAccessControlLists: [IPAccessControlList] = [],
            credentialLists: [CredentialList] = []
        ) {
            self.sid = sid
            self.domains = domains
            self.ipAccessControlLists = ipAccessControlLists
            self.credentialLists = credentialLists
        }

        enum CodingKeys: String, CodingKey {
            case sid
            case domains
            case ipAccessControlLists = "ip_access_control_lists"
            case credentialLists = "credential_lists"
        }

        /// Decodes an account; missing `domains`, `ip_access_control_lists` and
        /// `credential_lists` are empty.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            sid = try container.decode(String.self, forKey: .sid)
            domains = try container.decodeIfPresent([Domain].self, forKey: .domains) ?? []
            ipAccessControlLists =
                try container.decodeIfPresent([IPAccessControlList].self, forKey: .ipAccessControlLists) ?? []
            credentialLists = try container.decodeIfPresent([CredentialList].self, forKey: .credentialLists) ?? []
        }

        /// Encodes the account; `credential_lists` only when there are any, so that the
        /// exports of stores without credentials read as they always have.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(sid, forKey: .sid)
            try container.encode(domains, forKey: .domains)
            try container.encode(ipAccessControlLists, forKey: .ipAccessControlLists)
            if !credentialLists.isEmpty {
                try container.encode(credentialLists, forKey: .credentialLists)
            }
        }
    }

    /// A SIP domain, its settings and its mappings. Absent settings are unset (or off).
    public struct Domain: Codable, Hashable, Sendable {
        /// The domain's SID (`SD…`), if it should have a given one.
        public var sid: String?
        /// The domain name; unique across all accounts.
        public var domainName: String
        /// See ``DomainSettings/friendlyName``.
        public var friendlyName: String?
        /// See ``DomainSettings/voiceURL``.
        public var voiceURL: String?
        /// See ``DomainSettings/voiceMethod``.
        public var voiceMethod: String?
        /// See ``DomainSettings/voiceFallbackURL``.
        public var voiceFallbackURL: String?
        /// See ``DomainSettings/voiceFallbackMethod``.
        public var voiceFallbackMethod: String?
        /// See ``DomainSettings/voiceStatusCallbackURL``.
        public var voiceStatusCallbackURL: String?
        /// See ``DomainSettings/voiceStatusCallbackMethod``.
        public var voiceStatusCallbackMethod: String?
        /// See ``DomainSettings/sipRegistration``; absent means off.
        public var sipRegistration: Bool?
        /// See ``DomainSettings/emergencyCallingEnabled``; absent means off.
        public var emergencyCallingEnabled: Bool?
        /// See ``DomainSettings/secure``; absent means off.
        public var secure: Bool?
        /// See ``DomainSettings/byocTrunkSID``.
        public var byocTrunkSID: String?
        /// See ``DomainSettings/emergencyCallerSID``.
        public var emergencyCallerSID: String?
        /// Lists mapped by the legacy `IpAccessControlListMappings` (SIDs or friendly names).
        public var ipAccessControlListMappings: [String]
        /// Lists mapped by `Auth/Calls/IpAccessControlListMappings` (SIDs or friendly names).
        public var authCallsIPAccessControlListMappings: [String]
        /// Credential lists mapped by the legacy `CredentialListMappings` (SIDs or friendly
        /// names).
        public var credentialListMappings: [String]
        /// Credential lists mapped by `Auth/Calls/CredentialListMappings`.
        public var authCallsCredentialListMappings: [String]
        /// Credential lists mapped by `Auth/Registrations/CredentialListMappings`.
        public var authRegistrationsCredentialListMappings: [String]

        /// A domain entry with the given settings and mappings.
        public init(
            sid: String? = nil,
            domainName: String,
            settings: DomainSettings = DomainSettings(),
            ipAccessControlListMappings: [String] = [],
            authCallsIPAccessControlListMappings: [String] = [],
            credentialListMappings: [String] = [],
            authCallsCredentialListMappings: [String] = [],
            authRegistrationsCredentialListMappings: [String] = []
        ) {
            self.sid = sid
            self.domainName = domainName
            self.ipAccessControlListMappings = ipAccessControlListMappings
            self.authCallsIPAccessControlListMappings = authCallsIPAccessControlListMappings
            self.credentialListMappings = credentialListMappings
            self.authCallsCredentialListMappings = authCallsCredentialListMappings
            self.authRegistrationsCredentialListMappings = authRegistrationsCredentialListMappings
            self.settings = settings
        }

        /// The credential list references of `kind`'s mappings.
        public subscript(credentialMappings kind: CredentialMappingKind) -> [String] {
            get {
                switch kind {
                case .legacy: credentialListMappings
                case .authCalls: authCallsCredentialListMappings
                case .authRegistrations: authRegistrationsCredentialListMappings
                }
            }
            set {
                switch kind {
                case .legacy: credentialListMappings = newValue
                case .authCalls: authCallsCredentialListMappings = newValue
                case .authRegistrations: authRegistrationsCredentialListMappings = newValue
                }
            }
        }

        /// The entry's settings as the store keeps them (absent flags are off).
        public var settings: DomainSettings {
            get {
                DomainSettings(
                    friendlyName: friendlyName, voiceURL: voiceURL, voiceMethod: voiceMethod,
                    voiceFallbackURL: voiceFallbackURL, voiceFallbackMethod: voiceFallbackMethod,
                    voiceStatusCallbackURL: voiceStatusCallbackURL,
                    voiceStatusCallbackMethod: voiceStatusCallbackMethod,
                    sipRegistration: sipRegistration ?? false,
                    emergencyCallingEnabled: emergencyCallingEnabled ?? false,
                    secure: secure ?? false, byocTrunkSID: byocTrunkSID, emergencyCallerSID: emergencyCallerSID)
            }
            set {
                friendlyName = newValue.friendlyName
                voiceURL = newValue.voiceURL
                voiceMethod = newValue.voiceMethod
                voiceFallbackURL = newValue.voiceFallbackURL
                voiceFallbackMethod = newValue.voiceFallbackMethod
                voiceStatusCallbackURL = newValue.voiceStatusCallbackURL
                voiceStatusCallbackMethod = newValue.voiceStatusCallbackMethod
                // Off is the default: leave it out of the document.
                sipRegistration = newValue.sipRegistration ? true : nil
                emergencyCallingEnabled = newValue.emergencyCallingEnabled ? true : nil
                secure = newValue.secure ? true : nil
                byocTrunkSID = newValue.byocTrunkSID
                emergencyCallerSID = newValue.emergencyCallerSID
            }
        }

        enum CodingKeys: String, CodingKey {
            case sid
            case domainName = "domain_name"
            case friendlyName = "friendly_name"
            case voiceURL = "voice_url"
            case voiceMethod = "voice_method"
            case voiceFallbackURL = "voice_fallback_url"
            case voiceFallbackMethod = "voice_fallback_method"
            case voiceStatusCallbackURL = "voice_status_callback_url"
            case voiceStatusCallbackMethod = "voice_status_callback_method"
            case sipRegistration = "sip_registration"
            case emergencyCallingEnabled = "emergency_calling_enabled"
            case secure
            case byocTrunkSID = "byoc_trunk_sid"
            case emergencyCallerSID = "emergency_caller_sid"
            case ipAccessControlListMappings = "ip_access_control_list_mappings"
            case authCallsIPAccessControlListMappings = "auth_calls_ip_access_control_list_mappings"
            case credentialListMappings = "credential_list_mappings"
            case authCallsCredentialListMappings = "auth_calls_credential_list_mappings"
            case authRegistrationsCredentialListMappings = "auth_registrations_credential_list_mappings"
        }

        /// Decodes a domain; absent settings are unset and absent mappings empty.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            sid = try container.decodeIfPresent(String.self, forKey: .sid)
            domainName = try container.decode(String.self, forKey: .domainName)
            friendlyName = try container.decodeIfPresent(String.self, forKey: .friendlyName)
            voiceURL = try container.decodeIfPresent(String.self, forKey: .voiceURL)
            voiceMethod = try container.decodeIfPresent(String.self, forKey: .voiceMethod)
            voiceFallbackURL = try container.decodeIfPresent(String.self, forKey: .voiceFallbackURL)
            voiceFallbackMethod = try container.decodeIfPresent(String.self, forKey: .voiceFallbackMethod)
            voiceStatusCallbackURL = try container.decodeIfPresent(String.self, forKey: .voiceStatusCallbackURL)
            voiceStatusCallbackMethod = try container.decodeIfPresent(String.self, forKey: .voiceStatusCallbackMethod)
            sipRegistration = try container.decodeIfPresent(Bool.self, forKey: .sipRegistration)
            emergencyCallingEnabled = try container.decodeIfPresent(Bool.self, forKey: .emergencyCallingEnabled)
            secure = try container.decodeIfPresent(Bool.self, forKey: .secure)
            byocTrunkSID = try container.decodeIfPresent(String.self, forKey: .byocTrunkSID)
            emergencyCallerSID = try container.decodeIfPresent(String.self, forKey: .emergencyCallerSID)
            ipAccessControlListMappings =
                try container.decodeIfPresent([String].self, forKey: .ipAccessControlListMappings) ?? []
            authCallsIPAccessControlListMappings =
                try container.decodeIfPresent([String].self, forKey: .authCallsIPAccessControlListMappings) ?? []
            credentialListMappings =
                try container.decodeIfPresent([String].self, forKey: .credentialListMappings) ?? []
            authCallsCredentialListMappings =
                try container.decodeIfPresent([String].self, forKey: .authCallsCredentialListMappings) ?? []
            authRegistrationsCredentialListMappings =
                try container.decodeIfPresent([String].self, forKey: .authRegistrationsCredentialListMappings) ?? []
        }

        /// Encodes the domain: unset settings are left out; the credential list mapping keys
        /// appear only when they map something, so that the exports of stores without
        /// credentials read as they always have.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(sid, forKey: .sid)
            try container.encode(domainName, forKey: .domainName)
            try container.encodeIfPresent(friendlyName, forKey: .friendlyName)
            try container.encodeIfPresent(voiceURL, forKey: .voiceURL)
            try container.encodeIfPresent(voiceMethod, forKey: .voiceMethod)
            try container.encodeIfPresent(voiceFallbackURL, forKey: .voiceFallbackURL)
            try container.encodeIfPresent(voiceFallbackMethod, forKey: .voiceFallbackMethod)
            try container.encodeIfPresent(voiceStatusCallbackURL, forKey: .voiceStatusCallbackURL)
            try container.encodeIfPresent(voiceStatusCallbackMethod, forKey: .voiceStatusCallbackMethod)
            try container.encodeIfPresent(sipRegistration, forKey: .sipRegistration)
            try container.encodeIfPresent(emergencyCallingEnabled, forKey: .emergencyCallingEnabled)
            try container.encodeIfPresent(secure, forKey: .secure)
            try container.encodeIfPresent(byocTrunkSID, forKey: .byocTrunkSID)
            try container.encodeIfPresent(emergencyCallerSID, forKey: .emergencyCallerSID)
            try container.encode(ipAccessControlListMappings, forKey: .ipAccessControlListMappings)
            try container.encode(authCallsIPAccessControlListMappings, forKey: .authCallsIPAccessControlListMappings)
            let credentialKeys: [(CodingKeys, [String])] = [
                (.credentialListMappings, credentialListMappings),
                (.authCallsCredentialListMappings, authCallsCredentialListMappings),
                (.authRegistrationsCredentialListMappings, authRegistrationsCredentialListMappings),
            ]
            for (key, references) in credentialKeys where !references.isEmpty {
                try container.encode(references, forKey: key)
            }
        }
    }

    /// An IP access control list and its addresses.
    public struct IPAccessControlList: Codable, Hashable, Sendable {
        /// The list's SID (`AL…`), if it should have a given one.
        public var sid: String?
        /// The list's name (1…255 characters).
        public var friendlyName: String
        /// The list's entries.
        public var ipAddresses: [Address]

        /// A list entry.
        public init(sid: String? = nil, friendlyName: String, ipAddresses: [Address] = []) {
            self.sid = sid
            self.friendlyName = friendlyName
            self.ipAddresses = ipAddresses
        }

        enum CodingKeys: String, CodingKey {
            case sid
            case friendlyName = "friendly_name"
            case ipAddresses = "ip_addresses"
        }

        /// Decodes a list; missing `ip_addresses` are empty.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            sid = try container.decodeIfPresent(String.self, forKey: .sid)
            friendlyName = try container.decode(String.self, forKey: .friendlyName)
            ipAddresses = try container.decodeIfPresent([Address].self, forKey: .ipAddresses) ?? []
        }
    }

    /// A credential list and its credentials.
    public struct CredentialList: Codable, Hashable, Sendable {
        /// The list's SID (`CL…`), if it should have a given one.
        public var sid: String?
        /// The list's name (1…64 characters).
        public var friendlyName: String
        /// The list's credentials.
        public var credentials: [Credential]

        /// A credential list entry.
        public init(sid: String? = nil, friendlyName: String, credentials: [Credential] = []) {
            self.sid = sid
            self.friendlyName = friendlyName
            self.credentials = credentials
        }

        enum CodingKeys: String, CodingKey {
            case sid
            case friendlyName = "friendly_name"
            case credentials
        }

        /// Decodes a credential list; missing `credentials` are empty.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            sid = try container.decodeIfPresent(String.self, forKey: .sid)
            friendlyName = try container.decode(String.self, forKey: .friendlyName)
            credentials = try container.decodeIfPresent([Credential].self, forKey: .credentials) ?? []
        }
    }

    /// A credential: a username and its password's digest hashes for a realm. The document
    /// never holds a password.
    public struct Credential: Codable, Hashable, Sendable {
        /// The credential's SID (`CR…`), used when the credential is created.
        public var sid: String?
        /// The username (1…32 characters); unique within its list.
        public var username: String
        /// The digest realm the hashes were made for.
        public var realm: String
        /// `HA1` with MD5: 32 lower-case hex digits.
        public var ha1MD5: String
        /// `HA1` with SHA-256: 64 lower-case hex digits.
        public var ha1SHA256: String

        /// A credential entry.
        public init(sid: String? = nil, username: String, realm: String, ha1MD5: String, ha1SHA256: String) {
            self.sid = sid
            self.username = username
            self.realm = realm
            self.ha1MD5 = ha1MD5
            self.ha1SHA256 = ha1SHA256
        }

        /// A credential entry holding `secret`.
        public init(sid: String? = nil, username: String, secret: CredentialSecret) {
            self.init(
                sid: sid, username: username, realm: secret.realm, ha1MD5: secret.ha1MD5,
                ha1SHA256: secret.ha1SHA256)
        }

        enum CodingKeys: String, CodingKey {
            case sid, username, realm
            case ha1MD5 = "ha1_md5"
            case ha1SHA256 = "ha1_sha256"
        }
    }

    /// An address or network on a list: `ip_address` with an optional
    /// `cidr_prefix_length`, or `ip_address` in slash notation.
    public struct Address: Codable, Hashable, Sendable {
        /// The entry's name; absent means the prefix's text.
        public var friendlyName: String?
        /// An IPv4 or IPv6 address, optionally with `/length`.
        public var ipAddress: String
        /// The prefix length; absent or 0 means the one in ``ipAddress``, else the full
        /// length (as Twilio's `CidrPrefixLength`, whose default 0 is the entire address).
        public var cidrPrefixLength: Int?

        /// An address entry.
        public init(friendlyName: String? = nil, ipAddress: String, cidrPrefixLength: Int? = nil) {
            self.friendlyName = friendlyName
            self.ipAddress = ipAddress
            self.cidrPrefixLength = cidrPrefixLength
        }

        enum CodingKeys: String, CodingKey {
            case friendlyName = "friendly_name"
            case ipAddress = "ip_address"
            case cidrPrefixLength = "cidr_prefix_length"
        }
    }
}

/// What applying a ``PolicyDocument`` did.
public struct PolicyApplyResult: Hashable, Sendable {
    /// Records (domains, lists, addresses, credentials, mappings) created.
    public var created: Int
    /// Records whose name, settings or hashes changed.
    public var updated: Int
    /// Records deleted by pruning (cascaded deletions not counted).
    public var deleted: Int
    /// The policy generation after applying: unchanged when nothing changed.
    public var generation: UInt64

    /// Whether applying changed anything.
    public var changedAnything: Bool { created + updated + deleted > 0 }
}

/// Why a ``PolicyDocument`` cannot be applied. `path` locates the offending value, as in
/// `accounts[0].domains[2].domain_name`.
public enum PolicyDocumentError: Error, Hashable, Sendable {
    /// A SID that is malformed or of the wrong kind.
    case invalidSID(path: String, String, expected: SID.Kind)
    /// A domain name that is not a valid host name.
    case invalidDomainName(path: String, String, reason: String)
    /// An address, prefix or prefix length that does not parse or does not agree.
    case invalidAddress(path: String, String, reason: String)
    /// A friendly name that is empty or too long.
    case invalidFriendlyName(path: String, reason: String)
    /// The same account, domain, list, prefix or username appears twice.
    case duplicate(path: String, String)
    /// A mapping names no list of the account in the document.
    case unknownListReference(path: String, String)
    /// A mapping's name matches several lists in the document, or a list without a SID
    /// matches several stored lists of that name.
    case ambiguousListReference(path: String, String)
    /// A credential whose username, realm or hashes cannot be used.
    case invalidCredential(path: String, reason: String)
    /// The store refused a record (a domain name another account uses, a SID taken, …).
    case conflict(path: String, PolicyStoreError)
}

extension PolicyDocumentError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .invalidSID(let path, let text, let expected):
            "\(path): \(String(reflecting: text)) is not an \(expected.rawValue) SID (\(expected.rawValue) and 32 hex digits)"
        case .invalidDomainName(let path, let text, let reason):
            "\(path): \(String(reflecting: text)) is not a valid domain name: \(reason)"
        case .invalidAddress(let path, let text, let reason):
            "\(path): \(String(reflecting: text)) is not a valid address: \(reason)"
        case .invalidFriendlyName(let path, let reason):
            "\(path): \(reason)"
        case .duplicate(let path, let what):
            "\(path): \(what) appears more than once"
        case .unknownListReference(let path, let reference):
            "\(path): no list of this account in the document has the SID or friendly name \(String(reflecting: reference))"
        case .ambiguousListReference(let path, let reference):
            "\(path): several lists are named \(String(reflecting: reference)); refer to the list by its SID"
        case .invalidCredential(let path, let reason):
            "\(path): \(reason)"
        case .conflict(let path, let error):
            "\(path): \(error)"
        }
    }
}
