import AccessControl
import PolicyStore

extension CredentialSecret {
    /// The digest hashes of `password` for `username` in `realm`, with every algorithm the
    /// store keeps; the password itself goes no further than this call.
    ///
    /// - Throws: ``TwilioError/internalError`` if the realm cannot be used, which
    ///   ``ManagementAPI/init(store:accounts:maximumBodySize:digestRealm:policy:metrics:)``
    ///   has already ruled out.
    init(username: String, realm: String, password: String) throws(TwilioError) {
        do {
            try self.init(
                realm: realm,
                ha1MD5: DigestAlgorithm.md5.ha1(username: username, realm: realm, password: password),
                ha1SHA256: DigestAlgorithm.sha256.ha1(username: username, realm: realm, password: password))
        } catch {
            throw .internalError
        }
    }
}
