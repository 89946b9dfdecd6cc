import PolicyStore

/// An IP access control list as Twilio's API shows it.
struct IPAccessControlListResource: Encodable, Sendable {
    let record: IPAccessControlListRecord

    init(_ record: IPAccessControlListRecord) {
        self.record = record
    }

    enum CodingKeys: String, CodingKey {
        case sid, uri, accountSID = "account_sid", friendlyName = "friendly_name"
        case dateCreated = "date_created", dateUpdated = "date_updated", subresourceURIs = "subresource_uris"
    }

    func encode(to encoder: any Encoder) throws {
        let paths = TwilioPaths(account: record.accountSID)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(record.sid.rawValue, forKey: .sid)
        try container.encode(record.accountSID.rawValue, forKey: .accountSID)
        try container.encode(record.friendlyName, forKey: .friendlyName)
        try container.encode(RFC2822Date.string(from: record.dateCreated), forKey: .dateCreated)
        try container.encode(RFC2822Date.string(from: record.dateUpdated), forKey: .dateUpdated)
        try container.encode(paths.ipAccessControlList(record.sid), forKey: .uri)
        try container.encode(["ip_addresses": paths.ipAddresses(record.sid)], forKey: .subresourceURIs)
    }
}
