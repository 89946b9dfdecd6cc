import PolicyStore

/// The URIs of the API's resources, relative to the server, as Twilio writes them in
/// `uri`, `subresource_uris` and the paging envelope.
struct TwilioPaths {
    let account: SID

    private var sip: String { "/2010-04-01/Accounts/\(account)/SIP" }

    var domains: String { "\(sip)/Domains.json" }
    func domain(_ sid: SID) -> String { "\(sip)/Domains/\(sid).json" }

    var ipAccessControlLists: String { "\(sip)/IpAccessControlLists.json" }
    func ipAccessControlList(_ sid: SID) -> String { "\(sip)/IpAccessControlLists/\(sid).json" }

    func ipAddresses(_ list: SID) -> String { "\(sip)/IpAccessControlLists/\(list)/IpAddresses.json" }
    func ipAddress(_ sid: SID, list: SID) -> String { "\(sip)/IpAccessControlLists/\(list)/IpAddresses/\(sid).json" }

    func mappings(_ kind: MappingKind, domain: SID) -> String {
        switch kind {
        case .legacy: "\(sip)/Domains/\(domain)/IpAccessControlListMappings.json"
        case .authCalls: "\(sip)/Domains/\(domain)/Auth/Calls/IpAccessControlListMappings.json"
        }
    }

    func mapping(_ kind: MappingKind, domain: SID, list: SID) -> String {
        switch kind {
        case .legacy: "\(sip)/Domains/\(domain)/IpAccessControlListMappings/\(list).json"
        case .authCalls: "\(sip)/Domains/\(domain)/Auth/Calls/IpAccessControlListMappings/\(list).json"
        }
    }

    var credentialLists: String { "\(sip)/CredentialLists.json" }
    func credentialList(_ sid: SID) -> String { "\(sip)/CredentialLists/\(sid).json" }

    func credentials(_ list: SID) -> String { "\(sip)/CredentialLists/\(list)/Credentials.json" }
    func credential(_ sid: SID, list: SID) -> String { "\(sip)/CredentialLists/\(list)/Credentials/\(sid).json" }

    func credentialListMappings(_ kind: CredentialMappingKind, domain: SID) -> String {
        "\(sip)/Domains/\(domain)/\(Self.credentialMappingPath(kind)).json"
    }

    func credentialListMapping(_ kind: CredentialMappingKind, domain: SID, list: SID) -> String {
        "\(sip)/Domains/\(domain)/\(Self.credentialMappingPath(kind))/\(list).json"
    }

    /// The path of `kind`'s mappings below a domain, without `.json`.
    static func credentialMappingPath(_ kind: CredentialMappingKind) -> String {
        switch kind {
        case .legacy: "CredentialListMappings"
        case .authCalls: "Auth/Calls/CredentialListMappings"
        case .authRegistrations: "Auth/Registrations/CredentialListMappings"
        }
    }
}
