import Foundation

/// Where a PostgreSQL policy store is and how to reach it (`store.url`, `store.tls_mode`,
/// `store.tls_ca` in the daemon's configuration).
///
/// The URL has the usual form, `postgres://user:password@host:port/database` (`postgresql://`
/// too; the port defaults to 5432, the database to the user's name). The password is never
/// part of ``description``.
public struct PostgresStoreSettings: Sendable, Hashable, CustomStringConvertible {
    /// How the connection to the server is protected.
    public enum TLSMode: String, Sendable, CaseIterable {
        /// Plain TCP: for a server on loopback or a private network only.
        case disable
        /// TLS, without checking the server's certificate (protects against eavesdropping,
        /// not against an impostor).
        case require
        /// TLS, with the server's certificate checked against ``PostgresStoreSettings/tlsCAFile``
        /// (or the system's roots) and its name against the URL's host.
        case verifyFull = "verify-full"
    }

    /// The server's host name or address.
    public var host: String
    /// The server's TCP port.
    public var port: Int
    /// The role to log in as.
    public var username: String
    /// The role's password, if the server asks for one.
    public var password: String?
    /// The database holding the store.
    public var database: String
    /// How the connection is protected.
    public var tlsMode: TLSMode
    /// A PEM file of the certificate authorities that ``TLSMode/verifyFull`` trusts;
    /// `nil` trusts the system's.
    public var tlsCAFile: String?

    /// Settings from a `postgres://` URL.
    ///
    /// - Throws: ``PolicyStoreError/setupFailed(_:)`` when `url` is not a PostgreSQL URL
    ///   with a host and a user.
    public init(url: String, tlsMode: TLSMode = .disable, tlsCAFile: String? = nil) throws(PolicyStoreError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "postgres" || scheme == "postgresql"
        else {
            throw .setupFailed("store.url must be a postgres:// URL (postgres://user:password@host:port/database)")
        }
        guard let host = components.host, !host.isEmpty else {
            throw .setupFailed("store.url has no host")
        }
        if let items = components.queryItems, !items.isEmpty {
            // sslmode=… here would be ignored while the password went in clear: refused.
            throw .setupFailed(
                "store.url takes no query parameters (\(items.map(\.name).joined(separator: ", "))): "
                    + "set store.tls_mode and store.tls_ca instead")
        }
        guard let username = components.user, !username.isEmpty else {
            throw .setupFailed("store.url has no user (postgres://user:password@host:port/database)")
        }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port ?? 5432
        self.username = username
        self.password = components.password
        self.database = path.isEmpty ? username : path
        self.tlsMode = tlsMode
        self.tlsCAFile = tlsCAFile
    }

    /// The URL without its password, for logs.
    public var description: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "postgres://\(username)@\(host):\(port)/\(database) (TLS: \(tlsMode.rawValue))"
    }
}
