import PolicyStore

/// A credential as Twilio's API shows it: its username and where it belongs. Neither the
/// password (which sipfence never keeps) nor its hashes are ever shown.
struct CredentialResource: Encodable, Sendable {
    let record: CredentialRecord

    init(_ record: CredentialRecord) {
        self.record = record
    }

    enum CodingKeys: String, CodingKey {
        case sid, uri, username
        case accountSID = "account_sid"
        case listSID = "credential_list_sid"
        case dateCreated = "date_created"
        case dateUpdated = "date_updated"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(record.sid.rawValue, forKey: .sid)
        try container.encode(record.accountSID.rawValue, forKey: .accountSID)
        try container.encode(record.listSID.rawValue, forKey: .listSID)
        try container.encode(record.username, forKey: .username)
        try container.encode(RFC2822Date.string(from: record.dateCreated), forKey: .dateCreated)
        try container.encode(RFC2822Date.string(from: record.dateUpdated), forKey: .dateUpdated)
        try container.encode(
            TwilioPaths(account: record.accountSID).credential(record.sid, list: record.listSID), forKey: .uri)
    }
}
