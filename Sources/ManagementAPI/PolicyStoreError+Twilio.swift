import PolicyStore

extension PolicyStoreError {
    /// The Twilio error a client gets for this store error, for a request to `path`.
    ///
    /// Errors that mean "this does not exist for you" become 404; conflicts with existing
    /// records become the 400 Twilio gives for them. Errors a client cannot cause (a
    /// corrupt database) become a plain 500, with the details left to the log.
    func twilioError(path: String) -> TwilioError {
        switch self {
        case .notFound, .mappingNotFound, .credentialMappingNotFound, .wrongKindOfSID:
            .notFound(path)
        case .domainNameTaken(let name):
            .invalidParameter("DomainName", "\(name) is already in use", code: .invalidDomain)
        case .listAlreadyMapped(_, let domain, let list):
            .invalidParameter(
                "IpAccessControlListSid", "the list \(list) is already mapped to the domain \(domain)",
                code: .domainValidation)
        case .credentialListAlreadyMapped(_, let domain, let list):
            .invalidParameter(
                "CredentialListSid", "the credential list \(list) is already mapped to the domain \(domain)",
                code: .domainValidation)
        case .prefixAlreadyListed(let prefix, _):
            .invalidParameter("IpAddress", "the list already has an entry for \(prefix)")
        case .prefixTooShort(let prefix, let minimum):
            .prefixTooShort(prefix, minimum: minimum, parameter: "IpAddress")
        case .usernameTaken(let username, _):
            .invalidParameter(
                "Username", "the credential list already has a credential for \(String(reflecting: username))")
        case .invalidUsername(_, let reason):
            .invalidParameter("Username", reason)
        case .sidTaken, .invalidCredentialSecret, .corruptRecord, .constraintViolation, .setupFailed:
            .internalError
        case .unavailable:
            .serviceUnavailable
        }
    }
}

/// Runs `body`, turning a ``PolicyStoreError`` into the Twilio error for `path`. An
/// unavailable store is passed on as it is, so that ``TwilioErrorMiddleware`` logs why
/// before it answers 503.
func translatingStoreErrors<T>(path: String, _ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as PolicyStoreError {
        if case .unavailable = error { throw error }
        throw error.twilioError(path: path)
    }
}
