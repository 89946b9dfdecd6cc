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

    func encode(to encoder: any Encoder) throws {
        let paths = TwilioPaths(account: record.accountSID)
        try MappingBody(
            listSID: record.sid, accountSID: record.accountSID, friendlyName: record.friendlyName,
            dateCreated: record.dateCreated, dateUpdated: record.dateUpdated,
            legacy: record.kind == .legacy
                ? (record.domainSID, paths.credentialListMapping(.legacy, domain: record.domainSID, list: record.listSID))
                : nil
        ).encode(to: encoder)
    }

    /// The key a page of mappings of `kind` lists them under.
    static func listKey(_ kind: CredentialMappingKind) -> String {
        switch kind {
        case .legacy: "credential_list_mappings"
        case .authCalls, .authRegistrations: "contents"
        }
    }
}
