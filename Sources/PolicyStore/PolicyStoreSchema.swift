import GRDB
import Logging

/// The store's schema on SQLite, as a sequence of migrations (GRDB's migrator). Each has
/// its twin, under the same identifier, in ``PostgresSchema``: a new migration is added to
/// both.
///
/// Migrations are append-only: a released migration is never edited, a change is a new
/// one. Constraints live here as well as in the store's code, so that no path — a bug, a
/// race, a hand-edited database — can break the policy's invariants:
/// - domain names are stored normalised and are unique across all accounts;
/// - every child row names its account, and foreign keys on `(account_sid, sid)` make it
///   impossible to link records of different accounts;
/// - deleting a domain removes its mappings; deleting a list removes its entries and
///   mappings (`ON DELETE CASCADE`), for IP access control lists and credential lists alike;
/// - a list is mapped to a domain at most once per kind; a prefix appears at most once
///   per list, a username at most once per credential list;
/// - a credential holds digest hashes of the right shape (lower-case hex of the
///   algorithm's length), never a password.
enum PolicyStoreSchema {
    /// The migrations; `logger` reports what a migration had to remove.
    static func migrator(logger: Logger) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: domains, lists, addresses, mappings, generation") { db in
            try db.execute(
                sql: """
                    CREATE TABLE policy_generation (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        value INTEGER NOT NULL CHECK (value >= 0)
                    );
                    INSERT INTO policy_generation (id, value) VALUES (1, 0);

                    CREATE TABLE domain (
                        sid TEXT NOT NULL PRIMARY KEY CHECK (length(sid) = 34 AND sid GLOB 'SD*'),
                        account_sid TEXT NOT NULL CHECK (length(account_sid) = 34 AND account_sid GLOB 'AC*'),
                        domain_name TEXT NOT NULL
                            CHECK (domain_name = lower(domain_name) AND length(domain_name) BETWEEN 1 AND 253),
                        friendly_name TEXT,
                        voice_url TEXT,
                        voice_method TEXT,
                        voice_fallback_url TEXT,
                        voice_fallback_method TEXT,
                        voice_status_callback_url TEXT,
                        voice_status_callback_method TEXT,
                        sip_registration INTEGER NOT NULL DEFAULT 0 CHECK (sip_registration IN (0, 1)),
                        emergency_calling_enabled INTEGER NOT NULL DEFAULT 0 CHECK (emergency_calling_enabled IN (0, 1)),
                        secure INTEGER NOT NULL DEFAULT 0 CHECK (secure IN (0, 1)),
                        byoc_trunk_sid TEXT,
                        emergency_caller_sid TEXT,
                        date_created INTEGER NOT NULL,
                        date_updated INTEGER NOT NULL,
                        UNIQUE (account_sid, sid)
                    );
                    CREATE UNIQUE INDEX domain_by_name ON domain (domain_name COLLATE NOCASE);

                    CREATE TABLE ip_access_control_list (
                        sid TEXT NOT NULL PRIMARY KEY CHECK (length(sid) = 34 AND sid GLOB 'AL*'),
                        account_sid TEXT NOT NULL CHECK (length(account_sid) = 34 AND account_sid GLOB 'AC*'),
                        friendly_name TEXT NOT NULL CHECK (length(friendly_name) BETWEEN 1 AND 255),
                        date_created INTEGER NOT NULL,
                        date_updated INTEGER NOT NULL,
                        UNIQUE (account_sid, sid)
                    );

                    CREATE TABLE ip_address (
                        sid TEXT NOT NULL PRIMARY KEY CHECK (length(sid) = 34 AND sid GLOB 'IP*'),
                        account_sid TEXT NOT NULL,
                        ip_access_control_list_sid TEXT NOT NULL,
                        friendly_name TEXT NOT NULL CHECK (length(friendly_name) BETWEEN 1 AND 255),
                        network BLOB NOT NULL CHECK (length(network) IN (4, 16)),
                        prefix_length INTEGER NOT NULL CHECK (prefix_length BETWEEN 0 AND 8 * length(network)),
                        date_created INTEGER NOT NULL,
                        date_updated INTEGER NOT NULL,
                        UNIQUE (ip_access_control_list_sid, network, prefix_length),
                        FOREIGN KEY (account_sid, ip_access_control_list_sid)
                            REFERENCES ip_access_control_list (account_sid, sid) ON DELETE CASCADE
                    );
                    CREATE INDEX ip_address_by_list ON ip_address (account_sid, ip_access_control_list_sid, sid);

                    CREATE TABLE ip_access_control_list_mapping (
                        kind TEXT NOT NULL CHECK (kind IN ('legacy', 'auth_calls')),
                        account_sid TEXT NOT NULL,
                        domain_sid TEXT NOT NULL,
                        ip_access_control_list_sid TEXT NOT NULL,
                        date_created INTEGER NOT NULL,
                        date_updated INTEGER NOT NULL,
                        PRIMARY KEY (domain_sid, kind, ip_access_control_list_sid),
                        FOREIGN KEY (account_sid, domain_sid)
                            REFERENCES domain (account_sid, sid) ON DELETE CASCADE,
                        FOREIGN KEY (account_sid, ip_access_control_list_sid)
                            REFERENCES ip_access_control_list (account_sid, sid) ON DELETE CASCADE
                    ) WITHOUT ROWID;
                    CREATE INDEX mapping_by_domain ON ip_access_control_list_mapping (account_sid, domain_sid);
                    CREATE INDEX mapping_by_list ON ip_access_control_list_mapping (account_sid, ip_access_control_list_sid);
                    """
            )
        }
        // Before this migration, `CidrPrefixLength=0` (Twilio's default, meaning the
        // entire address) was stored as a zero-length prefix that admitted every source.
        // The address the client sent was cleared on write, so the entry cannot be
        // repaired: it is removed, and reported so that an operator can re-create it.
        migrator.registerMigration("v2: remove entries stored with prefix length 0") { db in
            let removed = try Row.fetchAll(
                db,
                sql: """
                    SELECT a.sid, a.account_sid, a.ip_access_control_list_sid, a.friendly_name, l.friendly_name AS list_name
                    FROM ip_address a JOIN ip_access_control_list l ON l.sid = a.ip_access_control_list_sid
                    WHERE a.prefix_length = 0 ORDER BY a.sid
                    """)
            guard !removed.isEmpty else { return }
            for row in removed {
                let sid: String = row["sid"]
                let list: String = row["ip_access_control_list_sid"]
                let friendlyName: String = row["friendly_name"]
                let listName: String = row["list_name"]
                logger.warning(
                    "removed an IP address entry stored with prefix length 0, which admitted every source",
                    metadata: [
                        "sid": "\(sid)", "account_sid": "\(row["account_sid"] as String)",
                        "ip_access_control_list_sid": "\(list)", "ip_access_control_list": "\(listName)",
                        "friendly_name": "\(friendlyName)",
                    ])
            }
            try db.execute(sql: "DELETE FROM ip_address WHERE prefix_length = 0")
            try db.execute(sql: "UPDATE policy_generation SET value = value + 1 WHERE id = 1")
        }
        // Digest credentials. A credential keeps only its HA1 hashes (MD5 and SHA-256) for
        // the realm they were made for, never the password; the realm is stored so that a
        // daemon whose configured realm differs can tell that the hashes no longer verify.
        migrator.registerMigration("v3: credential lists") { db in
            try db.execute(
                sql: """
                    CREATE TABLE credential_list (
                        sid TEXT NOT NULL PRIMARY KEY CHECK (length(sid) = 34 AND sid GLOB 'CL*'),
                        account_sid TEXT NOT NULL CHECK (length(account_sid) = 34 AND account_sid GLOB 'AC*'),
                        friendly_name TEXT NOT NULL CHECK (length(friendly_name) BETWEEN 1 AND 64),
                        date_created INTEGER NOT NULL,
                        date_updated INTEGER NOT NULL,
                        UNIQUE (account_sid, sid)
                    );

                    CREATE TABLE credential (
                        sid TEXT NOT NULL PRIMARY KEY CHECK (length(sid) = 34 AND sid GLOB 'CR*'),
                        account_sid TEXT NOT NULL,
                        credential_list_sid TEXT NOT NULL,
                        username TEXT NOT NULL CHECK (length(username) BETWEEN 1 AND 32),
                        realm TEXT NOT NULL CHECK (length(realm) BETWEEN 1 AND 255),
                        ha1_md5 TEXT NOT NULL
                            CHECK (length(ha1_md5) = 32 AND NOT ha1_md5 GLOB '*[^0-9a-f]*'),
                        ha1_sha256 TEXT NOT NULL
                            CHECK (length(ha1_sha256) = 64 AND NOT ha1_sha256 GLOB '*[^0-9a-f]*'),
                        date_created INTEGER NOT NULL,
                        date_updated INTEGER NOT NULL,
                        UNIQUE (credential_list_sid, username),
                        FOREIGN KEY (account_sid, credential_list_sid)
                            REFERENCES credential_list (account_sid, sid) ON DELETE CASCADE
                    );
                    CREATE INDEX credential_by_list ON credential (account_sid, credential_list_sid, sid);

                    CREATE TABLE credential_list_mapping (
                        kind TEXT NOT NULL CHECK (kind IN ('legacy', 'auth_calls', 'auth_registrations')),
                        account_sid TEXT NOT NULL,
                        domain_sid TEXT NOT NULL,
                        credential_list_sid TEXT NOT NULL,
                        date_created INTEGER NOT NULL,
                        date_updated INTEGER NOT NULL,
                        PRIMARY KEY (domain_sid, kind, credential_list_sid),
                        FOREIGN KEY (account_sid, domain_sid)
                            REFERENCES domain (account_sid, sid) ON DELETE CASCADE,
                        FOREIGN KEY (account_sid, credential_list_sid)
                            REFERENCES credential_list (account_sid, sid) ON DELETE CASCADE
                    ) WITHOUT ROWID;
                    CREATE INDEX credential_mapping_by_domain ON credential_list_mapping (account_sid, domain_sid);
                    CREATE INDEX credential_mapping_by_list ON credential_list_mapping (account_sid, credential_list_sid);
                    """
            )
        }
        // The master secret of sipfence's signed values (see `PolicyStore.sipSecret`).
        migrator.registerMigration("v4: the persistent SIP secret") { db in
            try db.execute(
                sql: """
                    CREATE TABLE sip_secret (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        secret BLOB NOT NULL CHECK (length(secret) >= 16)
                    );
                    """)
        }
        // The change journal: what each committed write changed, so that a daemon
        // recompiles only that (see `PolicyJournal`). Triggers write it, so that no path —
        // the API, policy import, a cascade, a hand-made SQL statement — changes the records
        // without the journal saying so. (A daemon notices a write by the generation it
        // bumps: every write of the store's does; hand-made SQL must too.)
        migrator.registerMigration("v5: the policy change journal") { db in
            try db.execute(
                sql: """
                    ALTER TABLE policy_generation ADD COLUMN journal_floor INTEGER NOT NULL DEFAULT 0;
                    UPDATE policy_generation SET journal_floor = value;

                    CREATE TABLE policy_change (
                        generation INTEGER NOT NULL,
                        kind TEXT NOT NULL
                            CHECK (kind IN ('reload', 'records', 'address_added', 'address_removed', 'list_deleted')),
                        ip_access_control_list_sid TEXT,
                        network BLOB,
                        prefix_length INTEGER,
                        CHECK ((kind IN ('address_added', 'address_removed')) = (network IS NOT NULL))
                    );
                    CREATE INDEX policy_change_by_generation ON policy_change (generation, kind);
                    """)
            for statement in PolicyJournal.triggers {
                try db.execute(sql: statement)
            }
        }
        return migrator
    }
}
