import Foundation
import PolicyStore

/// The wire shape every Twilio mapping shares, IP access control list or credential list:
/// `sid` and `friendly_name` are the mapped list's; a legacy mapping adds `domain_sid`
/// and `uri`, the `Auth/…` mappings have neither.
struct MappingBody: Encodable, Sendable {
    let listSID: SID
    let accountSID: SID
    let friendlyName: String
    let dateCreated: Date
    let dateUpdated: Date
    /// The domain and the mapping's own URI, for a legacy mapping only.
    let legacy: (domainSID: SID, uri: String)?

    enum CodingKeys: String, CodingKey {
        case sid, uri, accountSID = "account_sid", domainSID = "domain_sid", friendlyName = "friendly_name"
        case dateCreated = "date_created", dateUpdated = "date_updated"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(listSID.rawValue, forKey: .sid)
        try container.encode(accountSID.rawValue, forKey: .accountSID)
        try container.encode(friendlyName, forKey: .friendlyName)
        try container.encode(RFC2822Date.string(from: dateCreated), forKey: .dateCreated)
        try container.encode(RFC2822Date.string(from: dateUpdated), forKey: .dateUpdated)
        if let legacy {
            try container.encode(legacy.domainSID.rawValue, forKey: .domainSID)
            try container.encode(legacy.uri, forKey: .uri)
        }
    }
}
