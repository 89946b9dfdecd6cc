import Foundation

extension PolicyStore {
    /// The store's SIP secret: the master secret sipfence derives its signing keys from
    /// (To-tags, branches, digest nonces, dialog tokens), kept with the policy so that it
    /// survives restarts and so that every node sharing the store signs and verifies
    /// alike.
    ///
    /// The first caller on a store without one stores `candidate` (fresh random bytes) and
    /// gets it back; every later caller — this process after a restart, or another node
    /// starting at the same moment — gets the stored one. Storing it is not a policy
    /// change: the generation stays.
    ///
    /// The secret is as sensitive as the store's credential hashes: keep the database
    /// file readable by sipfence only.
    public func sipSecret(storingIfAbsent candidate: [UInt8]) async throws -> [UInt8] {
        try await backend.write { db in
            try db.execute(
                sql: "INSERT INTO sip_secret (id, secret) VALUES (1, ?) ON CONFLICT (id) DO NOTHING",
                arguments: [Data(candidate)])
            guard let stored = try Data.fetchOne(db, sql: "SELECT secret FROM sip_secret WHERE id = 1") else {
                throw PolicyStoreError.corruptRecord(table: "sip_secret", sid: "1", reason: "missing after insert")
            }
            return Array(stored)
        }
    }
}
