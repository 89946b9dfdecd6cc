import AccessControl

/// The form parameters of a list create or update. Unknown parameters are ignored.
struct IPAccessControlListForm: Decodable, Sendable {
    var friendlyName: String?

    enum CodingKeys: String, CodingKey {
        case friendlyName = "FriendlyName"
    }

    /// The checked friendly name, which both create and update require.
    func checkedFriendlyName() throws(TwilioError) -> String {
        try FormValue.friendlyName(
            FormValue.required(friendlyName, "FriendlyName", code: .invalidParameter), "FriendlyName", maximum: 255,
            code: .invalidParameter)
    }
}

/// The form parameters of an IP address create or update. Unknown parameters are ignored.
struct IPAddressForm: Decodable, Sendable {
    var friendlyName: String?
    var ipAddress: String?
    var cidrPrefixLength: String?

    enum CodingKeys: String, CodingKey {
        case friendlyName = "FriendlyName", ipAddress = "IpAddress", cidrPrefixLength = "CidrPrefixLength"
    }

    /// The checked friendly name, if given (`required` for a create).
    func checkedFriendlyName(required: Bool) throws(TwilioError) -> String? {
        guard required || friendlyName != nil else { return nil }
        let name = try FormValue.required(friendlyName, "FriendlyName", code: .invalidParameter)
        return try FormValue.friendlyName(name, "FriendlyName", maximum: 255, code: .invalidParameter)
    }

    /// Refuses `prefix` when it is shorter than `minimums` allows, naming the parameter
    /// that set its length: `CidrPrefixLength` when one (other than the default 0) was
    /// given, else `IpAddress` (slash notation).
    func requireLongEnough(_ prefix: IPPrefix, _ minimums: PrefixLengthMinimums) throws(TwilioError) {
        guard let minimum = minimums.violation(by: prefix) else { return }
        let lengthGiven = cidrPrefixLength.flatMap { Int($0) }.map { $0 != 0 } ?? false
        throw .prefixTooShort(prefix, minimum: minimum, parameter: lengthGiven ? "CidrPrefixLength" : "IpAddress")
    }
}

/// The form parameters of a mapping create. Unknown parameters are ignored.
struct MappingForm: Decodable, Sendable {
    var ipAccessControlListSID: String?

    enum CodingKeys: String, CodingKey {
        case ipAccessControlListSID = "IpAccessControlListSid"
    }
}
