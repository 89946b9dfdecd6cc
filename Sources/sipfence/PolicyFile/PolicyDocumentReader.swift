import PolicyStore

/// Reads a policy file — the YAML form of a ``PolicyDocument`` that `sipfence policy
/// export` writes — event by event, so that reading takes memory in proportion to the
/// document, not to a YAML tree of it (Yams' tree of a million addresses was 500 MB and
/// most of `policy import`'s time).
///
/// It reads what Yams' decoding of ``PolicyDocument`` reads: every scalar is text where
/// text is wanted; a plain null (`~`, `null`, nothing) is an absent value; booleans are
/// YAML 1.1's plain `true`/`yes`/`on` and `false`/`no`/`off` in any case; keys it does not
/// know are skipped. Unlike it, aliases are refused, and every error names its line,
/// column and document path.
struct PolicyDocumentReader {
    private let events: YAMLEventReader
    /// Where the reader is in the document, for messages.
    private var path: [PathComponent] = []

    private enum PathComponent {
        case key(String)
        case index(Int)
    }

    /// The document in the file at `file`; `progress`, if given, is called now and then
    /// with the bytes read so far.
    ///
    /// - Throws: ``PolicyDocumentReadError``.
    static func read(
        contentsOf file: String, progress: ((Int) -> Void)? = nil
    ) throws(PolicyDocumentReadError) -> PolicyDocument {
        let events = try YAMLEventReader(contentsOf: file)
        events.onProgress = progress
        var reader = PolicyDocumentReader(events: events)
        return try reader.document()
    }

    /// The document `yaml`.
    ///
    /// - Throws: ``PolicyDocumentReadError``.
    static func read(yaml: String) throws(PolicyDocumentReadError) -> PolicyDocument {
        var reader = PolicyDocumentReader(events: YAMLEventReader(yaml: yaml))
        return try reader.document()
    }

    private init(events: YAMLEventReader) {
        self.events = events
    }

    // MARK: The document's shape

    private mutating func document() throws(PolicyDocumentReadError) -> PolicyDocument {
        _ = try events.next()  // the stream's start
        let first = try events.next()
        guard case .documentStart = first.kind else { throw .documentCount(found: "none") }
        let root = try events.next()
        var accounts: [PolicyDocument.Account]?
        try mapping(root) { (reader: inout Self, key: String, value: YAMLEvent) throws(PolicyDocumentReadError) in
            switch key {
            case "accounts":
                accounts = try reader.sequence(value, nullIsEmpty: false) { (reader: inout Self, event: YAMLEvent) throws(PolicyDocumentReadError) in
                    try reader.account(event)
                }
            default: try reader.skip(value)
            }
        }
        guard let accounts else { throw missingKey("accounts", in: root) }
        _ = try events.next()  // the document's end
        let next = try events.next()
        guard case .streamEnd = next.kind else { throw .documentCount(found: "more than one") }
        return PolicyDocument(accounts: accounts)
    }

    private mutating func account(_ start: YAMLEvent) throws(PolicyDocumentReadError) -> PolicyDocument.Account {
        var sid: String?
        var account = PolicyDocument.Account(sid: "")
        try mapping(start) { (reader: inout Self, key: String, value: YAMLEvent) throws(PolicyDocumentReadError) in
            switch key {
            case "sid": sid = try reader.string(value)
            case "domains":
                account.domains = try reader.sequence(value) { (reader: inout Self, event: YAMLEvent) throws(PolicyDocumentReadError) in
                    try reader.domain(event)
                }
            case "ip_access_control_lists":
                account.ipAccessControlLists = try reader.sequence(value) {
                    (reader: inout Self, event: YAMLEvent) throws(PolicyDocumentReadError) in try reader.ipAccessControlList(event)
                }
            case "credential_lists":
                account.credentialLists = try reader.sequence(value) {
                    (reader: inout Self, event: YAMLEvent) throws(PolicyDocumentReadError) in try reader.credentialList(event)
                }
            default: try reader.skip(value)
            }
        }
        guard let sid else { throw missingKey("sid", in: start) }
        account.sid = sid
        return account
    }

    private mutating func domain(_ start: YAMLEvent) throws(PolicyDocumentReadError) -> PolicyDocument.Domain {
        var name: String?
        var domain = PolicyDocument.Domain(domainName: "")
        try mapping(start) { (reader: inout Self, key: String, value: YAMLEvent) throws(PolicyDocumentReadError) in
            switch key {
            case "sid": domain.sid = try reader.optionalString(value)
            case "domain_name": name = try reader.string(value)
            case "friendly_name": domain.friendlyName = try reader.optionalString(value)
            case "voice_url": domain.voiceURL = try reader.optionalString(value)
            case "voice_method": domain.voiceMethod = try reader.optionalString(value)
            case "voice_fallback_url": domain.voiceFallbackURL = try reader.optionalString(value)
            case "voice_fallback_method": domain.voiceFallbackMethod = try reader.optionalString(value)
            case "voice_status_callback_url": domain.voiceStatusCallbackURL = try reader.optionalString(value)
            case "voice_status_callback_method": domain.voiceStatusCallbackMethod = try reader.optionalString(value)
            case "sip_registration": domain.sipRegistration = try reader.optionalBool(value)
            case "emergency_calling_enabled": domain.emergencyCallingEnabled = try reader.optionalBool(value)
            case "secure": domain.secure = try reader.optionalBool(value)
            case "byoc_trunk_sid": domain.byocTrunkSID = try reader.optionalString(value)
            case "emergency_caller_sid": domain.emergencyCallerSID = try reader.optionalString(value)
            case "ip_access_control_list_mappings": domain.ipAccessControlListMappings = try reader.strings(value)
            case "auth_calls_ip_access_control_list_mappings":
                domain.authCallsIPAccessControlListMappings = try reader.strings(value)
            case "credential_list_mappings": domain.credentialListMappings = try reader.strings(value)
            case "auth_calls_credential_list_mappings": domain.authCallsCredentialListMappings = try reader.strings(value)
            case "auth_registrations_credential_list_mappings":
                domain.authRegistrationsCredentialListMappings = try reader.strings(value)
            default: try reader.skip(value)
            }
        }
        guard let name else { throw missingKey("domain_name", in: start) }
        domain.domainName = name
        return domain
    }

    private mutating func ipAccessControlList(_ start: YAMLEvent) throws(PolicyDocumentReadError)
        -> PolicyDocument.IPAccessControlList
    {
        let list = try namedList(start, entriesKey: "ip_addresses") {
            (reader: inout Self, event: YAMLEvent) throws(PolicyDocumentReadError) in try reader.address(event)
        }
        return PolicyDocument.IPAccessControlList(sid: list.sid, friendlyName: list.friendlyName, ipAddresses: list.entries)
    }

    private mutating func credentialList(_ start: YAMLEvent) throws(PolicyDocumentReadError) -> PolicyDocument.CredentialList {
        let list = try namedList(start, entriesKey: "credentials") {
            (reader: inout Self, event: YAMLEvent) throws(PolicyDocumentReadError) in try reader.credential(event)
        }
        return PolicyDocument.CredentialList(sid: list.sid, friendlyName: list.friendlyName, credentials: list.entries)
    }

    /// The shape both kinds of list share: an optional `sid`, a `friendly_name`, and the
    /// entries under `entriesKey`, each read by `entry`.
    private mutating func namedList<Entry>(
        _ start: YAMLEvent, entriesKey: String, _ entry: (inout Self, YAMLEvent) throws(PolicyDocumentReadError) -> Entry
    ) throws(PolicyDocumentReadError) -> (sid: String?, friendlyName: String, entries: [Entry]) {
        var sid: String?
        var friendlyName: String?
        var entries: [Entry] = []
        try mapping(start) { (reader: inout Self, key: String, value: YAMLEvent) throws(PolicyDocumentReadError) in
            switch key {
            case "sid": sid = try reader.optionalString(value)
            case "friendly_name": friendlyName = try reader.string(value)
            case entriesKey: entries = try reader.sequence(value, entry)
            default: try reader.skip(value)
            }
        }
        guard let friendlyName else { throw missingKey("friendly_name", in: start) }
        return (sid, friendlyName, entries)
    }

    private mutating func address(_ start: YAMLEvent) throws(PolicyDocumentReadError) -> PolicyDocument.Address {
        var friendlyName: String?
        var ipAddress: String?
        var length: Int?
        try mapping(start) { (reader: inout Self, key: String, value: YAMLEvent) throws(PolicyDocumentReadError) in
            switch key {
            case "ip_address": ipAddress = try reader.string(value)
            case "friendly_name": friendlyName = try reader.optionalString(value)
            case "cidr_prefix_length": length = try reader.optionalInt(value)
            default: try reader.skip(value)
            }
        }
        guard let ipAddress else { throw missingKey("ip_address", in: start) }
        return PolicyDocument.Address(friendlyName: friendlyName, ipAddress: ipAddress, cidrPrefixLength: length)
    }

    private mutating func credential(_ start: YAMLEvent) throws(PolicyDocumentReadError) -> PolicyDocument.Credential {
        var sid: String?
        var fields: [String: String] = [:]
        try mapping(start) { (reader: inout Self, key: String, value: YAMLEvent) throws(PolicyDocumentReadError) in
            switch key {
            case "sid": sid = try reader.optionalString(value)
            case "username", "realm", "ha1_md5", "ha1_sha256": fields[key] = try reader.string(value)
            default: try reader.skip(value)
            }
        }
        let required = ["username", "realm", "ha1_md5", "ha1_sha256"]
        if let missing = required.first(where: { fields[$0] == nil }) { throw missingKey(missing, in: start) }
        return PolicyDocument.Credential(
            sid: sid, username: fields["username", default: ""], realm: fields["realm", default: ""],
            ha1MD5: fields["ha1_md5", default: ""], ha1SHA256: fields["ha1_sha256", default: ""])
    }

    // MARK: YAML's kinds of node

    /// Reads the mapping that `start` opens, handing each key and the first event of its
    /// value to `field`, which must read the whole value.
    private mutating func mapping(
        _ start: YAMLEvent, _ field: (inout Self, String, YAMLEvent) throws(PolicyDocumentReadError) -> Void
    ) throws(PolicyDocumentReadError) {
        guard case .mappingStart = start.kind else { throw unexpected(start, expected: "a mapping") }
        var seen = Set<String>()
        while true {
            let keyEvent = try events.next()
            let key: String
            switch keyEvent.kind {
            case .mappingEnd: return
            case .scalar(let scalar): key = scalar.text
            case .alias: throw .alias(path: renderedPath, keyEvent.mark)
            default: throw unexpected(keyEvent, expected: "a key")
            }
            guard seen.insert(key).inserted else { throw .duplicateKey(path: renderedPath, keyEvent.mark, key: key) }
            let value = try events.next()
            path.append(.key(key))
            try field(&self, key, value)
            path.removeLast()
        }
    }

    /// Reads the sequence that `start` opens, each element through `element`; a null is
    /// no elements unless `nullIsEmpty` is false.
    private mutating func sequence<Element>(
        _ start: YAMLEvent, nullIsEmpty: Bool = true,
        _ element: (inout Self, YAMLEvent) throws(PolicyDocumentReadError) -> Element
    ) throws(PolicyDocumentReadError) -> [Element] {
        if nullIsEmpty, case .scalar(let scalar) = start.kind, scalar.isNull { return [] }
        guard case .sequenceStart = start.kind else { throw unexpected(start, expected: "a sequence") }
        var elements: [Element] = []
        while true {
            let event = try events.next()
            if case .sequenceEnd = event.kind { return elements }
            path.append(.index(elements.count))
            elements.append(try element(&self, event))
            path.removeLast()
        }
    }

    private mutating func scalar(_ event: YAMLEvent) throws(PolicyDocumentReadError) -> YAMLEvent.Scalar {
        switch event.kind {
        case .scalar(let scalar): return scalar
        case .alias: throw .alias(path: renderedPath, event.mark)
        default: throw unexpected(event, expected: "a scalar")
        }
    }

    private mutating func string(_ event: YAMLEvent) throws(PolicyDocumentReadError) -> String {
        try scalar(event).text
    }

    private mutating func optionalString(_ event: YAMLEvent) throws(PolicyDocumentReadError) -> String? {
        let scalar = try scalar(event)
        return scalar.isNull ? nil : scalar.text
    }

    private mutating func strings(_ event: YAMLEvent) throws(PolicyDocumentReadError) -> [String] {
        try sequence(event) { (reader: inout Self, element: YAMLEvent) throws(PolicyDocumentReadError) in
            try reader.string(element)
        }
    }

    /// YAML 1.1's booleans (plain `true`/`yes`/`on`, `false`/`no`/`off`, in any case), or
    /// `nil` for a null.
    private mutating func optionalBool(_ event: YAMLEvent) throws(PolicyDocumentReadError) -> Bool? {
        let scalar = try scalar(event)
        if scalar.isNull { return nil }
        if scalar.mayBeBoolean {
            switch scalar.text.lowercased() {
            case "true", "yes", "on": return true
            case "false", "no", "off": return false
            default: break
            }
        }
        throw .invalidValue(
            path: renderedPath, event.mark, reason: "expected true or false, found \(String(reflecting: scalar.text))")
    }

    /// A whole number in decimal, or `nil` for a null.
    private mutating func optionalInt(_ event: YAMLEvent) throws(PolicyDocumentReadError) -> Int? {
        let scalar = try scalar(event)
        if scalar.isNull { return nil }
        guard let value = Int(scalar.text) else {
            throw .invalidValue(
                path: renderedPath, event.mark, reason: "expected a whole number, found \(String(reflecting: scalar.text))")
        }
        return value
    }

    /// Reads past the node that `start` begins (a key the reader does not know).
    private mutating func skip(_ start: YAMLEvent) throws(PolicyDocumentReadError) {
        var depth = 0
        var event = start
        while true {
            switch event.kind {
            case .mappingStart, .sequenceStart: depth += 1
            case .mappingEnd, .sequenceEnd: depth -= 1
            default: break
            }
            if depth == 0 { return }
            event = try events.next()
        }
    }

    // MARK: Messages

    private var renderedPath: String {
        var text = ""
        for component in path {
            switch component {
            case .key(let key): text += text.isEmpty ? key : ".\(key)"
            case .index(let index): text += "[\(index)]"
            }
        }
        return text
    }

    private func unexpected(_ event: YAMLEvent, expected: String) -> PolicyDocumentReadError {
        .unexpected(path: renderedPath, event.mark, expected: expected, found: event.kind.noun)
    }

    private func missingKey(_ key: String, in start: YAMLEvent) -> PolicyDocumentReadError {
        .missingKey(path: renderedPath, start.mark, key: key)
    }
}
