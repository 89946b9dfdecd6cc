import AccessControl
import Foundation

/// Reading records back from rows, and the SQL that selects them.
///
/// Decoding never traps: a value that does not fit (a hand-edited database) becomes
/// ``PolicyStoreError/corruptRecord(table:sid:reason:)``.
enum StoredRows {
    /// The columns ``domain(_:)`` reads, in `dialect`.
    static func domainColumns(_ dialect: SQLDialect) -> String {
        """
        d.sid, d.account_sid, d.domain_name, d.friendly_name, d.voice_url, d.voice_method, d.voice_fallback_url,
        d.voice_fallback_method, d.voice_status_callback_url, d.voice_status_callback_method, d.sip_registration,
        d.emergency_calling_enabled, d.secure, d.byoc_trunk_sid, d.emergency_caller_sid, d.date_created,
        d.date_updated,
        EXISTS (SELECT 1 FROM ip_access_control_list_mapping m WHERE m.domain_sid = d.sid) AS has_mappings,
        (SELECT \(dialect.distinctList("c.kind")) FROM credential_list_mapping c WHERE c.domain_sid = d.sid)
            AS credential_mapping_kinds
        """
    }

    static let listColumns = "l.sid, l.account_sid, l.friendly_name, l.date_created, l.date_updated"

    static let addressColumns = """
        a.sid, a.account_sid, a.ip_access_control_list_sid, a.friendly_name, a.network, a.prefix_length,
        a.date_created, a.date_updated
        """

    static let credentialListColumns = "cl.sid, cl.account_sid, cl.friendly_name, cl.date_created, cl.date_updated"

    static let credentialColumns = """
        cr.sid, cr.account_sid, cr.credential_list_sid, cr.username, cr.realm, cr.ha1_md5, cr.ha1_sha256,
        cr.date_created, cr.date_updated
        """

    static let credentialMappingColumns = """
        cm.kind, cm.account_sid, cm.domain_sid, cm.credential_list_sid, cl.friendly_name, cm.date_created,
        cm.date_updated
        """

    static let mappingColumns = """
        m.kind, m.account_sid, m.domain_sid, m.ip_access_control_list_sid, l.friendly_name, m.date_created,
        m.date_updated
        """

    static func domain(_ row: StoreRow) throws -> DomainRecord {
        let sidText: String = try row.decode(atIndex: 0)
        return DomainRecord(
            sid: try sid(sidText, .domain, table: "domain"),
            accountSID: try sid(try row.decode(atIndex: 1), .account, table: "domain", owner: sidText),
            name: DomainName(normalizing: try row.decode(String.self, atIndex: 2)),
            settings: DomainSettings(
                friendlyName: try row.decode(atIndex: 3),
                voiceURL: try row.decode(atIndex: 4),
                voiceMethod: try row.decode(atIndex: 5),
                voiceFallbackURL: try row.decode(atIndex: 6),
                voiceFallbackMethod: try row.decode(atIndex: 7),
                voiceStatusCallbackURL: try row.decode(atIndex: 8),
                voiceStatusCallbackMethod: try row.decode(atIndex: 9),
                sipRegistration: try row.decode(atIndex: 10),
                emergencyCallingEnabled: try row.decode(atIndex: 11),
                secure: try row.decode(atIndex: 12),
                byocTrunkSID: try row.decode(atIndex: 13),
                emergencyCallerSID: try row.decode(atIndex: 14)
            ),
            hasIPAccessControlListMappings: try row.decode(atIndex: 17),
            credentialListMappingKinds: try credentialMappingKinds(try row.decode(atIndex: 18), owner: sidText),
            dateCreated: date(try row.decode(atIndex: 15)),
            dateUpdated: date(try row.decode(atIndex: 16))
        )
    }

    static func list(_ row: StoreRow) throws -> IPAccessControlListRecord {
        let sidText: String = try row.decode(atIndex: 0)
        return IPAccessControlListRecord(
            sid: try sid(sidText, .ipAccessControlList, table: "ip_access_control_list"),
            accountSID: try sid(try row.decode(atIndex: 1), .account, table: "ip_access_control_list", owner: sidText),
            friendlyName: try row.decode(atIndex: 2),
            dateCreated: date(try row.decode(atIndex: 3)),
            dateUpdated: date(try row.decode(atIndex: 4))
        )
    }

    static func address(_ row: StoreRow) throws -> IPAddressRecord {
        let sidText: String = try row.decode(atIndex: 0)
        return IPAddressRecord(
            sid: try sid(sidText, .ipAddress, table: "ip_address"),
            accountSID: try sid(try row.decode(atIndex: 1), .account, table: "ip_address", owner: sidText),
            listSID: try sid(try row.decode(atIndex: 2), .ipAccessControlList, table: "ip_address", owner: sidText),
            friendlyName: try row.decode(atIndex: 3),
            prefix: try prefix(network: try row.decode(atIndex: 4), length: try row.decode(atIndex: 5), owner: sidText),
            dateCreated: date(try row.decode(atIndex: 6)),
            dateUpdated: date(try row.decode(atIndex: 7))
        )
    }

    static func mapping(_ row: StoreRow) throws -> MappingRecord {
        let kindText: String = try row.decode(atIndex: 0)
        let domainText: String = try row.decode(atIndex: 2)
        guard let kind = MappingKind(rawValue: kindText) else {
            throw PolicyStoreError.corruptRecord(
                table: "ip_access_control_list_mapping", sid: domainText, reason: "unknown kind \(kindText)")
        }
        return MappingRecord(
            kind: kind,
            accountSID: try sid(
                try row.decode(atIndex: 1), .account, table: "ip_access_control_list_mapping", owner: domainText),
            domainSID: try sid(domainText, .domain, table: "ip_access_control_list_mapping"),
            listSID: try sid(
                try row.decode(atIndex: 3), .ipAccessControlList, table: "ip_access_control_list_mapping",
                owner: domainText),
            friendlyName: try row.decode(atIndex: 4),
            dateCreated: date(try row.decode(atIndex: 5)),
            dateUpdated: date(try row.decode(atIndex: 6))
        )
    }

    /// The kinds in a comma-separated `group_concat` of `credential_list_mapping.kind`.
    static func credentialMappingKinds(_ text: String?, owner: String) throws -> Set<CredentialMappingKind> {
        var kinds = Set<CredentialMappingKind>()
        for name in (text ?? "").split(separator: ",") {
            guard let kind = CredentialMappingKind(rawValue: String(name)) else {
                throw PolicyStoreError.corruptRecord(
                    table: "credential_list_mapping", sid: owner, reason: "unknown kind \(name)")
            }
            kinds.insert(kind)
        }
        return kinds
    }

    static func credentialList(_ row: StoreRow) throws -> CredentialListRecord {
        let sidText: String = try row.decode(atIndex: 0)
        return CredentialListRecord(
            sid: try sid(sidText, .credentialList, table: "credential_list"),
            accountSID: try sid(try row.decode(atIndex: 1), .account, table: "credential_list", owner: sidText),
            friendlyName: try row.decode(atIndex: 2),
            dateCreated: date(try row.decode(atIndex: 3)),
            dateUpdated: date(try row.decode(atIndex: 4))
        )
    }

    static func credential(_ row: StoreRow) throws -> CredentialRecord {
        let sidText: String = try row.decode(atIndex: 0)
        let secret: CredentialSecret
        do {
            secret = try CredentialSecret(
                realm: try row.decode(atIndex: 4), ha1MD5: try row.decode(atIndex: 5),
                ha1SHA256: try row.decode(atIndex: 6))
        } catch let error as PolicyStoreError {
            throw PolicyStoreError.corruptRecord(table: "credential", sid: sidText, reason: error.description)
        }
        return CredentialRecord(
            sid: try sid(sidText, .credential, table: "credential"),
            accountSID: try sid(try row.decode(atIndex: 1), .account, table: "credential", owner: sidText),
            listSID: try sid(try row.decode(atIndex: 2), .credentialList, table: "credential", owner: sidText),
            username: try row.decode(atIndex: 3),
            secret: secret,
            dateCreated: date(try row.decode(atIndex: 7)),
            dateUpdated: date(try row.decode(atIndex: 8))
        )
    }

    static func credentialMapping(_ row: StoreRow) throws -> CredentialListMappingRecord {
        let kindText: String = try row.decode(atIndex: 0)
        let domainText: String = try row.decode(atIndex: 2)
        guard let kind = CredentialMappingKind(rawValue: kindText) else {
            throw PolicyStoreError.corruptRecord(
                table: "credential_list_mapping", sid: domainText, reason: "unknown kind \(kindText)")
        }
        return CredentialListMappingRecord(
            kind: kind,
            accountSID: try sid(
                try row.decode(atIndex: 1), .account, table: "credential_list_mapping", owner: domainText),
            domainSID: try sid(domainText, .domain, table: "credential_list_mapping"),
            listSID: try sid(
                try row.decode(atIndex: 3), .credentialList, table: "credential_list_mapping", owner: domainText),
            friendlyName: try row.decode(atIndex: 4),
            dateCreated: date(try row.decode(atIndex: 5)),
            dateUpdated: date(try row.decode(atIndex: 6))
        )
    }

    /// A prefix from its stored network bytes and length.
    static func prefix(network: Data, length: Int, owner: String) throws -> IPPrefix {
        guard let address = IPAddress(networkBytes: network) else {
            throw PolicyStoreError.corruptRecord(
                table: "ip_address", sid: owner, reason: "network of \(network.count) bytes")
        }
        do {
            return try IPPrefix(address: address, length: length)
        } catch {
            throw PolicyStoreError.corruptRecord(table: "ip_address", sid: owner, reason: error.description)
        }
    }

    static func sid(_ text: String, _ kind: SID.Kind, table: String, owner: String? = nil) throws -> SID {
        guard let sid = SID(text, kind: kind) else {
            throw PolicyStoreError.corruptRecord(
                table: table, sid: owner ?? text, reason: "\(String(reflecting: text)) is not a \(kind.rawValue) SID")
        }
        return sid
    }

    static func date(_ seconds: Int64) -> Date {
        Date(timeIntervalSince1970: TimeInterval(seconds))
    }
}

extension IPPrefix {
    /// The network address's bytes, as stored.
    var storedNetwork: Data { Data(network.networkBytes) }
}
