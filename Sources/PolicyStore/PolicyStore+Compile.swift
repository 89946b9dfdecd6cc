public import AccessControl
import Foundation

extension PolicyStore {
    /// Compiles every account's records into one admission policy.
    ///
    /// The records are read in one snapshot, so the policy is exactly the store at its
    /// ``Policy/generation``. Each domain admits the union of the lists mapped to it by
    /// either kind of mapping; a domain with no mapping is in the policy but admits
    /// nothing. Credential lists mapped for calls (legacy and Auth/Calls) and for
    /// registrations compile into the domain's digest credentials. List identifiers in the
    /// policy are the lists' SIDs, their names the lists' friendly names. The compiling
    /// itself happens outside the database transaction.
    public func compilePolicy() async throws -> Policy {
        let snapshot = try await read { db in try PolicySnapshot(db) }
        return snapshot.policy()
    }
}

/// The records a policy is compiled from, as read in one transaction.
struct PolicySnapshot: Sendable {
    var generation: UInt64
    var lists: [AccessList]
    var mappings: [DomainName: [String]]
    var credentialLists: [DigestCredentialList]
    var authentication: [DomainName: Policy.DomainAuthentication]

    /// Reads every record.
    init(_ db: any StoreTransaction) throws {
        var prefixesByList: [String: [IPPrefix]] = [:]
        try StoreRow.forEach(
            db, sql: "SELECT ip_access_control_list_sid, network, prefix_length, sid FROM ip_address") { row in
            let list: String = try row.decode(atIndex: 0)
            let network: Data = try row.decode(atIndex: 1)
            let length: Int = try row.decode(atIndex: 2)
            let prefix = try StoredRows.prefix(network: network, length: length, owner: try row.decode(atIndex: 3))
            prefixesByList[list, default: []].append(prefix)
        }
        try self.init(db, prefixesByList: prefixesByList)
    }

    /// Reads every record but the IP addresses, whose prefixes are given by list
    /// (the lists themselves are read: a list absent from `prefixesByList` is empty, and
    /// prefixes of lists that no longer exist are dropped).
    init(_ db: any StoreTransaction, prefixesByList: [String: [IPPrefix]]) throws {
        generation = try PolicyStore.readGeneration(db)

        var lists: [AccessList] = []
        try StoreRow.forEach(
            db, sql: "SELECT sid, friendly_name FROM ip_access_control_list ORDER BY sid") { row in
            let sid: String = try row.decode(atIndex: 0)
            lists.append(AccessList(id: sid, name: try row.decode(atIndex: 1), prefixes: prefixesByList[sid] ?? []))
        }
        self.lists = lists

        var listsByDomain: [String: [String]] = [:]
        try StoreRow.forEach(
            db,
            sql: """
                SELECT DISTINCT domain_sid, ip_access_control_list_sid FROM ip_access_control_list_mapping
                ORDER BY domain_sid, ip_access_control_list_sid
                """) { row in
            listsByDomain[try row.decode(atIndex: 0), default: []].append(try row.decode(atIndex: 1))
        }

        var credentialsByList: [String: [String: DigestCredentialSet.Credential]] = [:]
        try StoreRow.forEach(
            db, sql: "SELECT credential_list_sid, username, realm, ha1_md5, ha1_sha256 FROM credential") { row in
            let list: String = try row.decode(atIndex: 0)
            credentialsByList[list, default: [:]][try row.decode(atIndex: 1)] = DigestCredentialSet.Credential(
                listID: list, realm: try row.decode(atIndex: 2),
                ha1: [.md5: try row.decode(atIndex: 3), .sha256: try row.decode(atIndex: 4)])
        }
        var credentialLists: [DigestCredentialList] = []
        try StoreRow.forEach(
            db, sql: "SELECT sid, friendly_name FROM credential_list ORDER BY sid") { row in
            let sid: String = try row.decode(atIndex: 0)
            credentialLists.append(
                DigestCredentialList(id: sid, name: try row.decode(atIndex: 1), credentials: credentialsByList[sid] ?? [:]))
        }
        self.credentialLists = credentialLists

        var authenticationByDomain: [String: Policy.DomainAuthentication] = [:]
        try StoreRow.forEach(
            db,
            sql: """
                SELECT domain_sid, kind, credential_list_sid FROM credential_list_mapping
                ORDER BY domain_sid, credential_list_sid
                """) { row in
            let domain: String = try row.decode(atIndex: 0)
            let kind = CredentialMappingKind(rawValue: try row.decode(atIndex: 1))
            let list: String = try row.decode(atIndex: 2)
            if kind?.authenticatesCalls == true {
                authenticationByDomain[domain, default: .init()].callCredentialLists.append(list)
            } else {
                authenticationByDomain[domain, default: .init()].registrationCredentialLists.append(list)
            }
        }

        var mappings: [DomainName: [String]] = [:]
        var authentication: [DomainName: Policy.DomainAuthentication] = [:]
        try StoreRow.forEach(db, sql: "SELECT sid, domain_name, sip_registration FROM domain") { row in
            let sid: String = try row.decode(atIndex: 0)
            let name = DomainName(normalizing: try row.decode(String.self, atIndex: 1))
            mappings[name] = listsByDomain[sid] ?? []
            var settings = authenticationByDomain[sid] ?? .init()
            settings.acceptsRegistrations = try row.decode(Bool.self, atIndex: 2)
            authentication[name] = settings
        }
        self.mappings = mappings
        self.authentication = authentication
    }

    func policy() -> Policy {
        Policy(
            generation: generation, lists: lists, mappings: mappings, credentialLists: credentialLists,
            authentication: authentication)
    }
}
