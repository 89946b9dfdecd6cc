import PolicyStore

/// An IP address entry as Twilio's API shows it: `ip_address` is the entry's network
/// (host bits cleared), `cidr_prefix_length` its length.
struct IPAddressResource: Encodable, Sendable {
    let record: IPAddressRecord

    init(_ record: IPAddressRecord) {
        self.record = record
    }

    enum CodingKeys: String, CodingKey {
        case sid, uri, accountSID = "account_sid", friendlyName = "friendly_name", ipAddress = "ip_address"
        case cidrPrefixLength = "cidr_prefix_length", listSID = "ip_access_control_list_sid"
        case dateCreated = "date_created", dateUpdated = "date_updated"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(record.sid.rawValue, forKey: .sid)
        try container.encode(record.accountSID.rawValue, forKey: .accountSID)
        try container.encode(record.friendlyName, forKey: .friendlyName)
        try container.encode(record.prefix.network.description, forKey: .ipAddress)
        try container.encode(record.prefix.length, forKey: .cidrPrefixLength)
        try container.encode(record.listSID.rawValue, forKey: .listSID)
        try container.encode(RFC2822Date.string(from: record.dateCreated), forKey: .dateCreated)
        try container.encode(RFC2822Date.string(from: record.dateUpdated), forKey: .dateUpdated)
        try container.encode(
            TwilioPaths(account: record.accountSID).ipAddress(record.sid, list: record.listSID), forKey: .uri)
    }
}
