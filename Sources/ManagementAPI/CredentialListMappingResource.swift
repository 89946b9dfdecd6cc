import PolicyStore

/// A credential list mapping as Twilio's API shows it.
///
/// As with IP access control list mappings, a legacy mapping has `domain_sid` and `uri`;
/// the Auth/Calls and Auth/Registrations mappings have neither. The mapping's `sid` and
/// `friendly_name` are the list's.
struct CredentialListMappingResource: Encodable, Sendable {
    let record: CredentialListMappingRecord

    init(_ record: CredentialListMappingRecord) {
        self.record = record
    }

    enum CodingKeys: String, CodingKey {
        case sid, uri
        case accountSID = "account_sid"
        case domainSID = "domain_sid"
        case friendlyName = "friendly_name"
        case dateCreated = "date_created"
        case dateUpdated = "date_updated"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(record.sid.rawValue, forKey: .sid)
        try container.encode(record.accountSID.rawValue, forKey: .accountSID)
        try container.encode(record.friendlyName, forKey: .friendlyName)
        try container.encode(RFC2822Date.string(from: record.dateCreated), forKey: .dateCreated)
        try container.encode(RFC2822Date.string(from: record.dateUpdated), forKey: .dateUpdated)
        if record.kind == .legacy {
            try container.encode(record.domainSID.rawValue, forKey: .domainSID)
            try container.encode(
                TwilioPaths(account: record.accountSID).credentialListMapping(
                    .legacy, domain: record.domainSID, list: record.listSID),
                forKey: .uri)
        }
    }

    /// The key a page of mappings of `kind` lists them under.
    static func listKey(_ kind: CredentialMappingKind) -> String {
        switch kind {
        case .legacy: "credential_list_mappings"
        case .authCalls, .authRegistrations: "contents"
        }
    }
}
