/// The settings of a SIP domain that sipfence stores and reports but does not act on.
///
/// They exist so that Twilio clients and scripts can round-trip every domain property
/// they know; admission depends only on the domain's name and its mappings.
public struct DomainSettings: Hashable, Sendable {
    /// The operator's name for the domain (Twilio: up to 64 characters).
    public var friendlyName: String?
    /// The URL Twilio would request when the domain receives a call.
    public var voiceURL: String?
    /// The HTTP method for ``voiceURL``: `GET` or `POST`.
    public var voiceMethod: String?
    /// The URL to request when ``voiceURL`` fails.
    public var voiceFallbackURL: String?
    /// The HTTP method for ``voiceFallbackURL``: `GET` or `POST`.
    public var voiceFallbackMethod: String?
    /// The URL to send call status events to.
    public var voiceStatusCallbackURL: String?
    /// The HTTP method for ``voiceStatusCallbackURL``: `GET` or `POST`.
    public var voiceStatusCallbackMethod: String?
    /// Whether SIP registration is allowed on the domain.
    public var sipRegistration: Bool
    /// Whether emergency calling is enabled on the domain.
    public var emergencyCallingEnabled: Bool
    /// Whether the domain requires secure (TLS/SRTP) signalling.
    public var secure: Bool
    /// The SID (`BY…`) of a BYOC trunk for the domain.
    public var byocTrunkSID: String?
    /// The SID (`PN…`) of the phone number that emergency calls present.
    public var emergencyCallerSID: String?

    /// Settings with the given values; everything defaults to unset or off.
    public init(
        friendlyName: String? = nil,
        voiceURL: String? = nil,
        voiceMethod: String? = nil,
        voiceFallbackURL: String? = nil,
        voiceFallbackMethod: String? = nil,
        voiceStatusCallbackURL: String? = nil,
        voiceStatusCallbackMethod: String? = nil,
        sipRegistration: Bool = false,
        emergencyCallingEnabled: Bool = false,
        secure: Bool = false,
        byocTrunkSID: String? = nil,
        emergencyCallerSID: String? = nil
    ) {
        self.friendlyName = friendlyName
        self.voiceURL = voiceURL
        self.voiceMethod = voiceMethod
        self.voiceFallbackURL = voiceFallbackURL
        self.voiceFallbackMethod = voiceFallbackMethod
        self.voiceStatusCallbackURL = voiceStatusCallbackURL
        self.voiceStatusCallbackMethod = voiceStatusCallbackMethod
        self.sipRegistration = sipRegistration
        self.emergencyCallingEnabled = emergencyCallingEnabled
        self.secure = secure
        self.byocTrunkSID = byocTrunkSID
        self.emergencyCallerSID = emergencyCallerSID
    }
}
