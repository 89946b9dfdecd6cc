/// The digest credentials a domain accepts for one purpose (calls, or registrations): the
/// union of the credential lists mapped to it, by username.
///
/// Each credential is kept as its `HA1` per algorithm for the realm the hashes were made
/// for (never a password). A username on several mapped lists keeps the first list's
/// hashes, in list order, so the result does not depend on dictionary order.
public struct DigestCredentialSet: Sendable {
    /// One username's hashes and the list it came from.
    public struct Credential: Hashable, Sendable {
        /// The identifier of the credential list (a `CL…` SID in the store).
        public let listID: String
        /// The realm the hashes were made for.
        public let realm: String
        /// `HA1` per algorithm, lower-case hex.
        public let ha1: [DigestAlgorithm: String]

        /// A credential of the list `listID` with hashes for `realm`.
        public init(listID: String, realm: String, ha1: [DigestAlgorithm: String]) {
            self.listID = listID
            self.realm = realm
            self.ha1 = ha1
        }
    }

    private let credentials: [String: Credential]

    /// The credentials of `lists`, in order; the first list with a username wins.
    public init(_ lists: [DigestCredentialList]) {
        var credentials: [String: Credential] = [:]
        for list in lists {
            for (username, credential) in list.credentials where credentials[username] == nil {
                credentials[username] = credential
            }
        }
        self.credentials = credentials
    }

    /// Whether no credential is mapped (no list, or only empty ones).
    public var isEmpty: Bool { credentials.isEmpty }

    /// The number of usernames.
    public var count: Int { credentials.count }

    /// The credential of `username` (compared exactly, as digest usernames are), or `nil`.
    public func credential(for username: String) -> Credential? {
        credentials[username]
    }
}

/// A credential list as the policy compiles it: an identifier, a name, and its
/// credentials by username (Twilio's `CredentialList` with its `Credentials`).
public struct DigestCredentialList: Sendable, Identifiable {
    /// The list's identifier (a `CL…` SID in the store).
    public var id: String
    /// The operator's name for the list.
    public var name: String
    /// The credentials, by username.
    public var credentials: [String: DigestCredentialSet.Credential]

    /// A list with the given identifier, name and credentials.
    public init(id: String, name: String, credentials: [String: DigestCredentialSet.Credential]) {
        self.id = id
        self.name = name
        self.credentials = credentials
    }
}
