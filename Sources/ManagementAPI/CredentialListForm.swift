/// The form parameters of a credential list create or update. Unknown parameters are
/// ignored.
struct CredentialListForm: Decodable, Sendable {
    var friendlyName: String?

    enum CodingKeys: String, CodingKey {
        case friendlyName = "FriendlyName"
    }

    /// The checked friendly name (1…64 characters), which both create and update require.
    func checkedFriendlyName() throws(TwilioError) -> String {
        try FormValue.friendlyName(
            FormValue.required(friendlyName, "FriendlyName", code: .invalidParameter), "FriendlyName", maximum: 64,
            code: .invalidParameter)
    }
}

/// The form parameters of a credential create (`Username`, `Password`) or update
/// (`Password` only; a `Username` is ignored, as Twilio's update takes none). Unknown
/// parameters are ignored.
struct CredentialForm: Decodable, Sendable {
    var username: String?
    var password: String?

    enum CodingKeys: String, CodingKey {
        case username = "Username"
        case password = "Password"
    }
}

/// The form parameters of a credential list mapping create. Unknown parameters are ignored.
struct CredentialListMappingForm: Decodable, Sendable {
    var credentialListSID: String?

    enum CodingKeys: String, CodingKey {
        case credentialListSID = "CredentialListSid"
    }
}
