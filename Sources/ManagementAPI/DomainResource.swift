import PolicyStore

/// A SIP domain as Twilio's API shows it. Every property is always present; unset ones
/// are `null`, except the three `voice_*_method`s, which read `POST` when unset (the method
/// Twilio uses then, and what its fixtures show), and `auth_type` (see ``authType(_:)``).
struct DomainResource: Encodable, Sendable {
    let record: DomainRecord
    let paths: TwilioPaths

    init(_ record: DomainRecord) {
        self.record = record
        self.paths = TwilioPaths(account: record.accountSID)
    }

    enum CodingKeys: String, CodingKey {
        case accountSID = "account_sid", apiVersion = "api_version", authType = "auth_type"
        case dateCreated = "date_created", dateUpdated = "date_updated", domainName = "domain_name"
        case friendlyName = "friendly_name", sid, uri, voiceURL = "voice_url", voiceMethod = "voice_method"
        case voiceFallbackURL = "voice_fallback_url", voiceFallbackMethod = "voice_fallback_method"
        case voiceStatusCallbackURL = "voice_status_callback_url"
        case voiceStatusCallbackMethod = "voice_status_callback_method"
        case sipRegistration = "sip_registration", emergencyCallingEnabled = "emergency_calling_enabled"
        case secure, byocTrunkSID = "byoc_trunk_sid", emergencyCallerSID = "emergency_caller_sid"
        case subresourceURIs = "subresource_uris"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let settings = record.settings
        try container.encode(record.accountSID.rawValue, forKey: .accountSID)
        try container.encode("2010-04-01", forKey: .apiVersion)
        try container.encode(Self.authType(record), forKey: .authType)
        try container.encode(RFC2822Date.string(from: record.dateCreated), forKey: .dateCreated)
        try container.encode(RFC2822Date.string(from: record.dateUpdated), forKey: .dateUpdated)
        try container.encode(record.name.normalized, forKey: .domainName)
        try container.encode(settings.friendlyName, forKey: .friendlyName)
        try container.encode(record.sid.rawValue, forKey: .sid)
        try container.encode(paths.domain(record.sid), forKey: .uri)
        try container.encode(settings.voiceURL, forKey: .voiceURL)
        try container.encode(settings.voiceMethod ?? Self.defaultMethod, forKey: .voiceMethod)
        try container.encode(settings.voiceFallbackURL, forKey: .voiceFallbackURL)
        try container.encode(settings.voiceFallbackMethod ?? Self.defaultMethod, forKey: .voiceFallbackMethod)
        try container.encode(settings.voiceStatusCallbackURL, forKey: .voiceStatusCallbackURL)
        try container.encode(
            settings.voiceStatusCallbackMethod ?? Self.defaultMethod, forKey: .voiceStatusCallbackMethod)
        try container.encode(settings.sipRegistration, forKey: .sipRegistration)
        try container.encode(settings.emergencyCallingEnabled, forKey: .emergencyCallingEnabled)
        try container.encode(settings.secure, forKey: .secure)
        try container.encode(settings.byocTrunkSID, forKey: .byocTrunkSID)
        try container.encode(settings.emergencyCallerSID, forKey: .emergencyCallerSID)
        try container.encode(
            [
                "credential_list_mappings": paths.credentialListMappings(.legacy, domain: record.sid),
                "ip_access_control_list_mappings": paths.mappings(.legacy, domain: record.sid),
            ],
            forKey: .subresourceURIs)
    }

    /// The HTTP method an unset `voice_*_method` reads as.
    static let defaultMethod = "POST"

    /// Twilio's `auth_type`: the kinds of call authentication mapped to the domain,
    /// comma-separated — `IP_ACL` for IP access control lists (either kind of mapping),
    /// `CREDENTIAL_LIST` for credential lists mapped by the legacy or the Auth/Calls
    /// mapping (an Auth/Registrations mapping authenticates `REGISTER`, not calls) — or the
    /// empty string when there is none, and the domain accepts no calls.
    ///
    /// With both, the order is `CREDENTIAL_LIST,IP_ACL`: alphabetical, as Twilio was seen to
    /// answer (its OpenAPI description and fixtures show only `IP_ACL`).
    static func authType(_ record: DomainRecord) -> String {
        var types: [String] = []
        if record.hasCallCredentialListMappings { types.append("CREDENTIAL_LIST") }
        if record.hasIPAccessControlListMappings { types.append("IP_ACL") }
        return types.joined(separator: ",")
    }
}
