public import AccessControl
import Foundation
import GRDB

extension PolicyStore {
    /// Compiles every account's records into one admission policy.
    ///
    /// The records are read in one snapshot, so the policy is exactly the store at its
    /// ``Policy/generation``. Each domain admits the union of the lists mapped to it by
    /// either kind of mapping; a domain with no mapping is in the policy but admits
    /// nothing. List identifiers in the policy are the lists' SIDs, their names the lists'
    /// friendly names. The compiling itself happens outside the database transaction.
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

    init(_ db: Database) throws {
        generation = try PolicyStore.readGeneration(db)

        var prefixesByList: [String: [IPPrefix]] = [:]
        let addresses = try Row.fetchCursor(
            db, sql: "SELECT ip_access_control_list_sid, network, prefix_length, sid FROM ip_address")
        while let row = try addresses.next() {
            let list: String = try row.decode(atIndex: 0)
            let network: Data = try row.decode(atIndex: 1)
            let length: Int = try row.decode(atIndex: 2)
            let prefix = try StoredRows.prefix(network: network, length: length, owner: try row.decode(atIndex: 3))
            prefixesByList[list, default: []].append(prefix)
        }

        var lists: [AccessList] = []
        let listRows = try Row.fetchCursor(
            db, sql: "SELECT sid, friendly_name FROM ip_access_control_list ORDER BY sid")
        while let row = try listRows.next() {
            let sid: String = try row.decode(atIndex: 0)
            lists.append(AccessList(id: sid, name: try row.decode(atIndex: 1), prefixes: prefixesByList[sid] ?? []))
        }
        self.lists = lists

        var listsByDomain: [String: [String]] = [:]
        let mappingRows = try Row.fetchCursor(
            db,
            sql: """
                SELECT DISTINCT domain_sid, ip_access_control_list_sid FROM ip_access_control_list_mapping
                ORDER BY domain_sid, ip_access_control_list_sid
                """)
        while let row = try mappingRows.next() {
            listsByDomain[try row.decode(atIndex: 0), default: []].append(try row.decode(atIndex: 1))
        }

        var mappings: [DomainName: [String]] = [:]
        let domainRows = try Row.fetchCursor(db, sql: "SELECT sid, domain_name FROM domain")
        while let row = try domainRows.next() {
            let sid: String = try row.decode(atIndex: 0)
            mappings[DomainName(normalizing: try row.decode(String.self, atIndex: 1))] = listsByDomain[sid] ?? []
        }
        self.mappings = mappings
    }

    func policy() -> Policy {
        Policy(generation: generation, lists: lists, mappings: mappings)
    }
}
