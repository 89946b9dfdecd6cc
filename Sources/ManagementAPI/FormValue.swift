import AccessControl
import PolicyStore

/// Checks of single form parameters, each failing with Twilio's 400 naming the parameter.
enum FormValue {
    /// The value of a required parameter; absent or empty is missing.
    static func required(_ value: String?, _ name: String, code: TwilioErrorCode) throws(TwilioError) -> String {
        guard let value, !value.isEmpty else { throw .missingParameter(name, code: code) }
        return value
    }

    /// A friendly name: 1…`maximum` characters.
    static func friendlyName(
        _ value: String, _ name: String, maximum: Int, code: TwilioErrorCode
    ) throws(TwilioError) -> String {
        guard !value.isEmpty else { throw .missingParameter(name, code: code) }
        guard value.count <= maximum else {
            throw .invalidParameter(
                name, "it has \(value.count) characters; at most \(maximum) are allowed", code: code)
        }
        return value
    }

    /// A credential's username: present, and as ``CredentialRecord/checkUsername(_:)``
    /// allows (1…32 characters, nothing that cannot travel in a SIP quoted string).
    static func username(_ value: String?, _ name: String, code: TwilioErrorCode) throws(TwilioError) -> String {
        let username = try required(value, name, code: code)
        do {
            try CredentialRecord.checkUsername(username)
        } catch {
            if case .invalidUsername(_, let reason) = error {
                throw .invalidParameter(name, reason, code: code)
            }
            throw .invalidParameter(name, error.description, code: code)
        }
        return username
    }

    /// The least number of characters Twilio accepts in a credential's password.
    static let minimumPasswordLength = 12

    /// A credential's password, by Twilio's rule: at least 12 characters, among them a
    /// digit, a lower-case letter and an upper-case letter. The password is never echoed
    /// in the error.
    static func password(_ value: String?, _ name: String, code: TwilioErrorCode) throws(TwilioError) -> String {
        let password = try required(value, name, code: code)
        let scalars = password.unicodeScalars
        guard password.count >= minimumPasswordLength,
            scalars.contains(where: { ("0"..."9").contains($0) }),
            scalars.contains(where: { $0.properties.isLowercase }),
            scalars.contains(where: { $0.properties.isUppercase })
        else {
            throw .invalidParameter(
                name,
                "it must have at least \(minimumPasswordLength) characters, including a digit, "
                    + "a lower-case letter and an upper-case letter",
                code: code)
        }
        return password
    }

    /// `true` or `false`, in any case.
    static func boolean(_ value: String, _ name: String, code: TwilioErrorCode) throws(TwilioError) -> Bool {
        switch value.lowercased() {
        case "true": return true
        case "false": return false
        default: throw .invalidParameter(name, "it must be true or false", code: code)
        }
    }

    /// An HTTP method for a callback: `GET` or `POST`; empty clears it.
    static func httpMethod(_ value: String, _ name: String, code: TwilioErrorCode) throws(TwilioError) -> String? {
        guard !value.isEmpty else { return nil }
        let method = value.uppercased()
        guard method == "GET" || method == "POST" else {
            throw .invalidParameter(name, "it must be GET or POST", code: code)
        }
        return method
    }

    /// A Twilio SID with `prefix` (`BY`, `PN`, …), kept as text; empty clears it.
    static func foreignSID(
        _ value: String, _ name: String, prefix: String, code: TwilioErrorCode
    ) throws(TwilioError) -> String? {
        guard !value.isEmpty else { return nil }
        let digits = value.utf8.dropFirst(2)
        guard value.hasPrefix(prefix), digits.count == 32,
            digits.allSatisfy({
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                    || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0 | 0x20)
            })
        else {
            throw .invalidParameter(name, "it must be \(prefix) followed by 32 hexadecimal digits", code: code)
        }
        return value
    }

    /// A URL for a callback, kept as given (at most 4,000 characters); empty clears it.
    static func url(_ value: String, _ name: String, code: TwilioErrorCode) throws(TwilioError) -> String? {
        guard !value.isEmpty else { return nil }
        guard value.count <= 4000 else {
            throw .invalidParameter(name, "it is longer than 4000 characters", code: code)
        }
        return value
    }

    /// The prefix an IP address entry should have, from `IpAddress` (a complete address,
    /// optionally `/length`) and `CidrPrefixLength`, or `nil` when neither is given.
    ///
    /// `CidrPrefixLength=0` is the same as no `CidrPrefixLength`: in Twilio's API the
    /// property defaults to 0 and "by default the entire IP address is used", so a client
    /// that sends the default must get a single address, never `/0`. Only slash notation
    /// (`IpAddress=0.0.0.0/0`) expresses a zero-length prefix.
    ///
    /// Without a length in either parameter, an update keeps the entry's current length
    /// (if the family is the same) and a create uses the full length. Host bits are
    /// cleared.
    static func prefix(address: String?, length: String?, current: IPPrefix?) throws(TwilioError) -> IPPrefix? {
        var explicitLength: Int?
        if let length {
            guard let value = Int(length), (0...128).contains(value) else {
                throw .invalidParameter(
                    "CidrPrefixLength", "it must be a whole number from 0 to 32 (IPv4) or 128 (IPv6)")
            }
            explicitLength = value == 0 ? nil : value
        }
        let network: IPAddress
        var slashLength: Int?
        if let address {
            guard !address.isEmpty else { throw .missingParameter("IpAddress") }
            do {
                if address.contains("/") {
                    let prefix = try IPPrefix(address)
                    network = prefix.network
                    slashLength = prefix.length
                } else {
                    network = try IPAddress(address)
                }
            } catch {
                throw .invalidParameter(
                    "IpAddress", "\(String(reflecting: address)) is not a complete IP address (\(error))")
            }
        } else if let current, explicitLength != nil {
            network = current.network
        } else {
            return nil
        }
        if let explicitLength, let slashLength, explicitLength != slashLength {
            throw .invalidParameter(
                "CidrPrefixLength", "\(explicitLength) disagrees with the /\(slashLength) in IpAddress")
        }
        let keptLength = current.flatMap { $0.family == network.family ? $0.length : nil }
        let length = explicitLength ?? slashLength ?? keptLength ?? network.family.bitWidth
        do {
            return try IPPrefix(address: network, length: length)
        } catch {
            throw .invalidParameter(
                "CidrPrefixLength", "\(length) is longer than an \(network.family == .ipv4 ? "IPv4" : "IPv6") address")
        }
    }
}
