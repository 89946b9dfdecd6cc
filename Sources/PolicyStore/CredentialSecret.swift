public import AccessControl

/// What the store keeps of a credential's password: its digest `HA1` hashes for one realm
/// (RFC 7616 §3.4.2), `H(username ":" realm ":" password)` for MD5 and for SHA-256, in
/// lower-case hex.
///
/// The store never sees a password: whoever takes one (the management API) computes the
/// hashes for the daemon's realm and hands them over in this form. An HA1 still lets its
/// holder answer challenges for that realm, so it is kept and exported with the care a
/// password would get, but it does not reveal the password, and it stops verifying when
/// the realm changes — which is why the realm is kept beside the hashes.
public struct CredentialSecret: Hashable, Sendable {
    /// The longest realm accepted, in Unicode scalars.
    public static let maximumRealmLength = 255

    /// The digest realm the hashes were made for.
    public let realm: String
    /// `HA1` with MD5: 32 lower-case hex digits.
    public let ha1MD5: String
    /// `HA1` with SHA-256: 64 lower-case hex digits.
    public let ha1SHA256: String

    /// A secret from hashes made elsewhere (an API request, a policy document).
    ///
    /// - Throws: ``PolicyStoreError/invalidCredentialSecret(_:)`` when the realm is not
    ///   usable (see ``checkRealm(_:)``) or a hash does not have its algorithm's shape.
    public init(realm: String, ha1MD5: String, ha1SHA256: String) throws(PolicyStoreError) {
        try Self.checkRealm(realm)
        guard DigestAlgorithm.md5.isWellFormedHA1(ha1MD5) else {
            throw .invalidCredentialSecret("the MD5 HA1 is not 32 lower-case hexadecimal digits")
        }
        guard DigestAlgorithm.sha256.isWellFormedHA1(ha1SHA256) else {
            throw .invalidCredentialSecret("the SHA-256 HA1 is not 64 lower-case hexadecimal digits")
        }
        self.realm = realm
        self.ha1MD5 = ha1MD5
        self.ha1SHA256 = ha1SHA256
    }

    /// The hash of `algorithm`.
    public func ha1(_ algorithm: DigestAlgorithm) -> String {
        switch algorithm {
        case .md5: ha1MD5
        case .sha256: ha1SHA256
        }
    }

    /// Throws unless `realm` can name a digest realm: 1…255 Unicode scalars, none of them a
    /// control character, a double quote or a backslash (the realm is sent in a quoted
    /// string of a `WWW-Authenticate` header, where those would need escaping that user
    /// agents do not undo alike).
    public static func checkRealm(_ realm: String) throws(PolicyStoreError) {
        guard !realm.isEmpty else { throw .invalidCredentialSecret("the realm is empty") }
        guard realm.unicodeScalars.count <= maximumRealmLength else {
            throw .invalidCredentialSecret("the realm is longer than \(maximumRealmLength) characters")
        }
        guard !realm.unicodeScalars.contains(where: CredentialRecord.isUnsafeInQuotedString) else {
            throw .invalidCredentialSecret("the realm contains a control character, a double quote or a backslash")
        }
    }
}
