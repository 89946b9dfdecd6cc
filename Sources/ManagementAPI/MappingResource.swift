import PolicyStore

/// An IP access control list mapping as Twilio's API shows it.
///
/// The two kinds differ on the wire: a legacy mapping has `domain_sid` and `uri`, an
/// Auth/Calls mapping has neither. The mapping's `sid` and `friendly_name` are the list's.
struct MappingResource: Encodable, Sendable {
    let record: MappingRecord

    init(_ record: MappingRecord) {
        self.record = record
    }

    enum CodingKeys: String, CodingKey {
        case sid, uri, accountSID = "account_sid", domainSID = "domain_sid", friendlyName = "friendly_name"
        case dateCreated = "date_created", dateUpdated = "date_updated"
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
                TwilioPaths(account: record.accountSID).mapping(
                    .legacy, domain: record.domainSID, list: record.listSID),
                forKey: .uri)
        }
    }

    /// The key a page of mappings of `kind` lists them under.
    static func listKey(_ kind: MappingKind) -> String {
        switch kind {
        case .legacy: "ip_access_control_list_mappings"
        case .authCalls: "contents"
        }
    }
}
