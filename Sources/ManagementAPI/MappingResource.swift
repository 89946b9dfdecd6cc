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

    func encode(to encoder: any Encoder) throws {
        let paths = TwilioPaths(account: record.accountSID)
        try MappingBody(
            listSID: record.sid, accountSID: record.accountSID, friendlyName: record.friendlyName,
            dateCreated: record.dateCreated, dateUpdated: record.dateUpdated,
            legacy: record.kind == .legacy
                ? (record.domainSID, paths.mapping(.legacy, domain: record.domainSID, list: record.listSID)) : nil
        ).encode(to: encoder)
    }

    /// The key a page of mappings of `kind` lists them under.
    static func listKey(_ kind: MappingKind) -> String {
        switch kind {
        case .legacy: "ip_access_control_list_mappings"
        case .authCalls: "contents"
        }
    }
}
