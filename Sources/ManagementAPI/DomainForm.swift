import AccessControl
import PolicyStore

/// The form parameters of a domain create or update. Unknown parameters are ignored.
struct DomainForm: Decodable, Sendable {
    var domainName: String?
    var friendlyName: String?
    var voiceURL: String?
    var voiceMethod: String?
    var voiceFallbackURL: String?
    var voiceFallbackMethod: String?
    var voiceStatusCallbackURL: String?
    var voiceStatusCallbackMethod: String?
    var sipRegistration: String?
    var emergencyCallingEnabled: String?
    var secure: String?
    var byocTrunkSID: String?
    var emergencyCallerSID: String?

    enum CodingKeys: String, CodingKey {
        case domainName = "DomainName", friendlyName = "FriendlyName", voiceURL = "VoiceUrl"
        case voiceMethod = "VoiceMethod", voiceFallbackURL = "VoiceFallbackUrl"
        case voiceFallbackMethod = "VoiceFallbackMethod", voiceStatusCallbackURL = "VoiceStatusCallbackUrl"
        case voiceStatusCallbackMethod = "VoiceStatusCallbackMethod", sipRegistration = "SipRegistration"
        case emergencyCallingEnabled = "EmergencyCallingEnabled", secure = "Secure"
        case byocTrunkSID = "ByocTrunkSid", emergencyCallerSID = "EmergencyCallerSid"
    }

    /// The checked changes the form asks for; absent parameters change nothing, empty
    /// ones clear the setting.
    func changes(requireName: Bool) throws(TwilioError) -> DomainChanges {
        let code = TwilioErrorCode.domainValidation
        var changes = DomainChanges()
        if requireName || domainName != nil {
            let text = try FormValue.required(domainName, "DomainName", code: .invalidDomain)
            do {
                changes.name = try DomainName(validating: text)
            } catch {
                throw .invalidParameter("DomainName", error.description, code: .invalidDomain)
            }
        }
        if let friendlyName {
            changes.friendlyName =
                friendlyName.isEmpty
                ? .some(nil) : try FormValue.friendlyName(friendlyName, "FriendlyName", maximum: 64, code: code)
        }
        let urls: [(String?, String, WritableKeyPath<DomainChanges, String??>)] = [
            (voiceURL, "VoiceUrl", \.voiceURL), (voiceFallbackURL, "VoiceFallbackUrl", \.voiceFallbackURL),
            (voiceStatusCallbackURL, "VoiceStatusCallbackUrl", \.voiceStatusCallbackURL),
        ]
        for case (let value?, let name, let keyPath) in urls {
            changes[keyPath: keyPath] = .some(try FormValue.url(value, name, code: code))
        }
        let methods: [(String?, String, WritableKeyPath<DomainChanges, String??>)] = [
            (voiceMethod, "VoiceMethod", \.voiceMethod),
            (voiceFallbackMethod, "VoiceFallbackMethod", \.voiceFallbackMethod),
            (voiceStatusCallbackMethod, "VoiceStatusCallbackMethod", \.voiceStatusCallbackMethod),
        ]
        for case (let value?, let name, let keyPath) in methods {
            changes[keyPath: keyPath] = .some(try FormValue.httpMethod(value, name, code: code))
        }
        let flags: [(String?, String, WritableKeyPath<DomainChanges, Bool?>)] = [
            (sipRegistration, "SipRegistration", \.sipRegistration),
            (emergencyCallingEnabled, "EmergencyCallingEnabled", \.emergencyCallingEnabled),
            (secure, "Secure", \.secure),
        ]
        for case (let value?, let name, let keyPath) in flags {
            changes[keyPath: keyPath] = try FormValue.boolean(value, name, code: code)
        }
        if let byocTrunkSID {
            changes.byocTrunkSID = .some(
                try FormValue.foreignSID(byocTrunkSID, "ByocTrunkSid", prefix: "BY", code: code))
        }
        if let emergencyCallerSID {
            changes.emergencyCallerSID = .some(
                try FormValue.foreignSID(emergencyCallerSID, "EmergencyCallerSid", prefix: "PN", code: code))
        }
        return changes
    }
}

/// Checked changes to a domain: `nil` leaves a property alone; for nullable settings,
/// `.some(nil)` clears it.
struct DomainChanges: Sendable {
    var name: DomainName?
    var friendlyName: String??
    var voiceURL: String??
    var voiceMethod: String??
    var voiceFallbackURL: String??
    var voiceFallbackMethod: String??
    var voiceStatusCallbackURL: String??
    var voiceStatusCallbackMethod: String??
    var sipRegistration: Bool?
    var emergencyCallingEnabled: Bool?
    var secure: Bool?
    var byocTrunkSID: String??
    var emergencyCallerSID: String??

    func apply(to domain: inout DomainRecord) {
        if let name { domain.name = name }
        apply(to: &domain.settings)
    }

    func apply(to settings: inout DomainSettings) {
        if let friendlyName { settings.friendlyName = friendlyName }
        if let voiceURL { settings.voiceURL = voiceURL }
        if let voiceMethod { settings.voiceMethod = voiceMethod }
        if let voiceFallbackURL { settings.voiceFallbackURL = voiceFallbackURL }
        if let voiceFallbackMethod { settings.voiceFallbackMethod = voiceFallbackMethod }
        if let voiceStatusCallbackURL { settings.voiceStatusCallbackURL = voiceStatusCallbackURL }
        if let voiceStatusCallbackMethod { settings.voiceStatusCallbackMethod = voiceStatusCallbackMethod }
        if let sipRegistration { settings.sipRegistration = sipRegistration }
        if let emergencyCallingEnabled { settings.emergencyCallingEnabled = emergencyCallingEnabled }
        if let secure { settings.secure = secure }
        if let byocTrunkSID { settings.byocTrunkSID = byocTrunkSID }
        if let emergencyCallerSID { settings.emergencyCallerSID = emergencyCallerSID }
    }
}
