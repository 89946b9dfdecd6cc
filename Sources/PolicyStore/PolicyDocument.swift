/// The whole policy as one document: for each account, its domains (with their settings
/// and mappings) and its IP access control lists (with their addresses).
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
/// ```
///
/// Identity, so that applying updates records in place instead of duplicating them:
/// - A domain is the one with the document's `sid` if the account has it, else the one
///   with its `domain_name`; otherwise it is created (with the document's `sid` if given).
/// - A list is the one with the document's `sid` if the account has it, else the only
///   list of the account with its `friendly_name`; otherwise it is created.
/// - An address is the entry of its list with the same prefix.
/// - A mapping names a list of the same account in the document by its `sid`, or by its
///   `friendly_name` when exactly one list in the document has that name.
///
/// ``PolicyStore/export()`` writes every SID, so an export applied to an empty store
/// recreates the same records with the same SIDs. Without `prune`, applying only adds and
/// updates; with `prune`, records of the document's accounts that the document does not
/// mention (domains, lists, addresses of the mentioned lists, mappings of the mentioned
/// domains) are deleted. Accounts the document does not list are never touched.
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

        /// An account entry.
        public init(sid: String, domains: [Domain] = [], ipAccessControlLists: [IPAccessControlList] = []) {
            self.sid = sid
            self.domains = domains
            self.ipAccessControlLists = ipAccessControlLists
        }

        enum CodingKeys: String, CodingKey {
            case sid
            case domains
            case ipAccessControlLists = "ip_access_control_lists"
        }

        /// Decodes an account; missing `domains` and `ip_access_control_lists` are empty.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            sid = try container.decode(String.self, forKey: .sid)
            domains = try container.decodeIfPresent([Domain].self, forKey: .domains) ?? []
            ipAccessControlLists =
                try container.decodeIfPresent([IPAccessControlList].self, forKey: .ipAccessControlLists) ?? []
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

        /// A domain entry with the given settings and mappings.
        public init(
            sid: String? = nil,
            domainName: String,
            settings: DomainSettings = DomainSettings(),
            ipAccessControlListMappings: [String] = [],
            authCallsIPAccessControlListMappings: [String] = []
        ) {
            self.sid = sid
            self.domainName = domainName
            self.ipAccessControlListMappings = ipAccessControlListMappings
            self.authCallsIPAccessControlListMappings = authCallsIPAccessControlListMappings
            self.settings = settings
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
    /// Records (domains, lists, addresses, mappings) created.
    public var created: Int
    /// Records whose name or settings changed.
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
    /// The same account, domain, list or prefix appears twice.
    case duplicate(path: String, String)
    /// A mapping names no list of the account in the document.
    case unknownListReference(path: String, String)
    /// A mapping's name matches several lists in the document, or a list without a SID
    /// matches several stored lists of that name.
    case ambiguousListReference(path: String, String)
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
        case .conflict(let path, let error):
            "\(path): \(error)"
        }
    }
}
