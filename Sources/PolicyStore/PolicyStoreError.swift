public import AccessControl

/// Why the store refused an operation.
///
/// These are the failures a client can cause and should be told about; the management API
/// turns each into Twilio's error for it. Other failures of the database itself surface as
/// the back-end's own error (GRDB's `DatabaseError`, postgres-nio's `PSQLError`).
public enum PolicyStoreError: Error, Hashable, Sendable {
    /// No record with this SID exists in the account (or the parent named in the call).
    case notFound(SID)
    /// The list is not mapped to the domain by this kind of mapping.
    case mappingNotFound(MappingKind, domain: SID, list: SID)
    /// Another domain, in this or any other account, already has this name.
    case domainNameTaken(DomainName)
    /// The list is already mapped to the domain by this kind of mapping.
    case listAlreadyMapped(MappingKind, domain: SID, list: SID)
    /// The list already has an entry for this prefix.
    case prefixAlreadyListed(IPPrefix, list: SID)
    /// The prefix is shorter than the store's minimum for its family
    /// (``PolicyStore/prefixLengthMinimums``).
    case prefixTooShort(IPPrefix, minimum: Int)
    /// A record with this SID already exists (possibly in another account).
    case sidTaken(SID)
    /// The credential list is not mapped to the domain by this kind of mapping.
    case credentialMappingNotFound(CredentialMappingKind, domain: SID, list: SID)
    /// The credential list is already mapped to the domain by this kind of mapping.
    case credentialListAlreadyMapped(CredentialMappingKind, domain: SID, list: SID)
    /// The credential list already has a credential with this username.
    case usernameTaken(String, list: SID)
    /// The username cannot be a credential's (see ``CredentialRecord/checkUsername(_:)``).
    case invalidUsername(String, reason: String)
    /// The realm or a hash of a ``CredentialSecret`` does not have the required shape.
    case invalidCredentialSecret(String)
    /// A SID of the wrong kind was given (a list's where a domain's is expected, …).
    case wrongKindOfSID(SID, expected: SID.Kind)
    /// A stored value could not be read back; the database was changed outside sipfence.
    case corruptRecord(table: String, sid: String, reason: String)
    /// The database refused a write that breaks one of the schema's constraints (a unique
    /// key, a foreign key, a check). The store checks what a client can get wrong before it
    /// writes, so this means a statement written outside the store's checks; nothing was
    /// changed.
    case constraintViolation(String)
    /// The database could not be configured as the store requires (for example, SQLite
    /// would not sync every commit).
    case setupFailed(String)
    /// The database cannot be used now: another writer held its lock for longer than the
    /// store's busy timeout (a large `policy import` in another process), or it cannot be
    /// read or written (out of space, a read-only or vanished file, an I/O error). Nothing
    /// was changed; the operation may be retried. The management API answers 503.
    case unavailable(String)
}

extension PolicyStoreError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .notFound(let sid):
            "no record \(sid) exists"
        case .mappingNotFound(let kind, let domain, let list):
            "the list \(list) is not mapped to the domain \(domain) (\(kind) mapping)"
        case .domainNameTaken(let name):
            "the domain name \(name) is already in use"
        case .listAlreadyMapped(let kind, let domain, let list):
            "the list \(list) is already mapped to the domain \(domain) (\(kind) mapping)"
        case .prefixAlreadyListed(let prefix, let list):
            "the list \(list) already has an entry for \(prefix)"
        case .prefixTooShort(let prefix, let minimum):
            "\(prefix) is shorter than /\(minimum), the shortest \(prefix.canonical.family.name) prefix allowed"
        case .sidTaken(let sid):
            "a record \(sid) already exists"
        case .credentialMappingNotFound(let kind, let domain, let list):
            "the credential list \(list) is not mapped to the domain \(domain) (\(kind) mapping)"
        case .credentialListAlreadyMapped(let kind, let domain, let list):
            "the credential list \(list) is already mapped to the domain \(domain) (\(kind) mapping)"
        case .usernameTaken(let username, let list):
            "the credential list \(list) already has a credential for the username \(String(reflecting: username))"
        case .invalidUsername(let username, let reason):
            "\(String(reflecting: username)) cannot be a username: \(reason)"
        case .invalidCredentialSecret(let reason):
            "the credential's digest hashes cannot be used: \(reason)"
        case .wrongKindOfSID(let sid, let expected):
            "\(sid) is not a SID of kind \(expected.rawValue)"
        case .corruptRecord(let table, let sid, let reason):
            "the stored \(table) \(sid) cannot be read: \(reason)"
        case .constraintViolation(let reason):
            "the policy database refused a write that breaks a constraint: \(reason)"
        case .setupFailed(let reason):
            "the policy database cannot be set up: \(reason)"
        case .unavailable(let reason):
            "the policy database is unavailable: \(reason)"
        }
    }
}
