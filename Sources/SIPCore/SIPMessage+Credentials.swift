extension SIPMessage {
    /// Every `Proxy-Authorization` value of the message, one per header field, in order,
    /// as text (for logs).
    ///
    /// A field is one credential: RFC 3261 §20.28 forbids combining several
    /// Proxy-Authorization values into one field, and a Digest credential contains
    /// commas, so fields are never split at commas.
    public var proxyAuthorizationValues: [String] {
        fields(.proxyAuthorization).map(value(of:))
    }

    /// Every `Proxy-Authorization` value, parsed, in field order: a request carries one
    /// per realm it answers (RFC 3261 §22.3), and a value that does not parse is reported
    /// without hiding the others.
    public var proxyAuthorizations: [Result<SIPCredentials, SIPCredentialsError>] {
        fields(.proxyAuthorization).map(credentials(of:))
    }

    /// Every `Authorization` value, parsed, in field order (RFC 3261 §20.7): credentials
    /// for the UAS or registrar, which a proxy passes on untouched.
    public var authorizations: [Result<SIPCredentials, SIPCredentialsError>] {
        fields(.authorization).map(credentials(of:))
    }

    /// The Digest credentials of the `Proxy-Authorization` values whose `realm` is
    /// `realm` (compared exactly: realms are case-sensitive, RFC 7235 §2.2), in order.
    /// Values for other realms, of other schemes, or that do not parse are left out.
    public func proxyDigestCredentials(forRealm realm: String) -> [SIPDigestCredentials] {
        fields(.proxyAuthorization).compactMap { field in
            guard case .success(.digest(let credentials)) = credentials(of: field), credentials.realm == realm else { return nil }
            return credentials
        }
    }

    /// The credentials of one `Proxy-Authorization` or `Authorization` field.
    public func credentials(of field: SIPHeaderField) -> Result<SIPCredentials, SIPCredentialsError> {
        Result { () throws(SIPCredentialsError) in try SIPCredentials(bytes: bytes, range: field.valueRange) }
    }

    /// Whether `field` is a `Proxy-Authorization` with Digest credentials for `realm`.
    func isProxyAuthorization(_ field: SIPHeaderField, forRealm realm: String) -> Bool {
        guard field.name == .proxyAuthorization, case .success(.digest(let credentials)) = credentials(of: field) else {
            return false
        }
        return credentials.realm == realm
    }
}
