import PolicyStore

/// A credential list as Twilio's API shows it.
struct CredentialListResource: Encodable, Sendable {
    let record: CredentialListRecord

    init(_ record: CredentialListRecord) {
        self.record = record
    }

    enum CodingKeys: String, CodingKey {
        case sid, uri
        case accountSID = "account_sid"
        case friendlyName = "friendly_name"
        case dateCreated = "date_created"
        case dateUpdated = "date_updated"
        case subresourceURIs = "subresource_uris"
    }

    func encode(to encoder: any Encoder) throws {
        let paths = TwilioPaths(account: record.accountSID)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(record.sid.rawValue, forKey: .sid)
        try container.encode(record.accountSID.rawValue, forKey: .accountSID)
        try container.encode(record.friendlyName, forKey: .friendlyName)
        try container.encode(RFC2822Date.string(from: record.dateCreated), forKey: .dateCreated)
        try container.encode(RFC2822Date.string(from: record.dateUpdated), forKey: .dateUpdated)
        try container.encode(paths.credentialList(record.sid), forKey: .uri)
        try container.encode(["credentials": paths.credentials(record.sid)], forKey: .subresourceURIs)
    }
}
