/// The store's schema on PostgreSQL: the same migrations as SQLite's (``PolicyStoreSchema``),
/// under the same identifiers, with the same tables, keys and constraints written in
/// PostgreSQL's dialect.
///
/// Text columns compare and sort by bytes (`COLLATE "C"`), as SQLite's do, whatever the
/// database's locale: exports list records in the same order from either back-end.
///
/// The differences are of dialect only: `bytea` for blobs, `bigint` for integers, `LIKE`
/// and regular expressions for SQLite's `GLOB`, a unique index on `lower(domain_name)` for
/// `COLLATE NOCASE`, an `id` column that orders the change journal (SQLite's `rowid`), and
/// journal triggers written as PL/pgSQL functions; the address triggers run once per
/// statement over its transition table, so a bulk import journals in one statement.
///
/// Migrations run in one transaction under an advisory lock (``migrationLockKey``), so
/// nodes starting together against an empty database apply each exactly once: the first
/// applies them, the others wait for the lock and then find them recorded.
enum PostgresSchema {
    /// One migration: its identifier (SQLite's) and its statements, run in order.
    struct Migration: Sendable {
        var identifier: String
        var statements: [String]
    }

    /// The advisory lock taken around migrations (any 64-bit key unlikely to be another
    /// application's: "sipfenc" and 1).
    static let migrationLockKey: Int64 = 0x7369_7066_656E_6301

    /// The advisory lock every write transaction takes first, so that writes are serialised
    /// across every node as SQLite serialises them: a write's checks (a domain name is
    /// free, a list exists) and the generation it journals under hold until it commits.
    static let writeLockKey: Int64 = 0x7369_7066_656E_6302

    /// The table that records which migrations a database has.
    static let migrationsTable = """
        CREATE TABLE IF NOT EXISTS sipfence_migrations (
            identifier TEXT COLLATE "C" NOT NULL PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )
        """

    static let migrations: [Migration] = [
        Migration(
            identifier: "v1: domains, lists, addresses, mappings, generation",
            statements: [
                """
                CREATE TABLE policy_generation (
                    id BIGINT PRIMARY KEY CHECK (id = 1),
                    value BIGINT NOT NULL CHECK (value >= 0)
                )
                """,
                "INSERT INTO policy_generation (id, value) VALUES (1, 0)",
                """
                CREATE TABLE domain (
                    sid TEXT COLLATE "C" NOT NULL PRIMARY KEY CHECK (length(sid) = 34 AND sid LIKE 'SD%'),
                    account_sid TEXT COLLATE "C" NOT NULL CHECK (length(account_sid) = 34 AND account_sid LIKE 'AC%'),
                    domain_name TEXT COLLATE "C" NOT NULL
                        CHECK (domain_name = lower(domain_name) AND length(domain_name) BETWEEN 1 AND 253),
                    friendly_name TEXT COLLATE "C",
                    voice_url TEXT COLLATE "C",
                    voice_method TEXT COLLATE "C",
                    voice_fallback_url TEXT COLLATE "C",
                    voice_fallback_method TEXT COLLATE "C",
                    voice_status_callback_url TEXT COLLATE "C",
                    voice_status_callback_method TEXT COLLATE "C",
                    sip_registration BIGINT NOT NULL DEFAULT 0 CHECK (sip_registration IN (0, 1)),
                    emergency_calling_enabled BIGINT NOT NULL DEFAULT 0 CHECK (emergency_calling_enabled IN (0, 1)),
                    secure BIGINT NOT NULL DEFAULT 0 CHECK (secure IN (0, 1)),
                    byoc_trunk_sid TEXT COLLATE "C",
                    emergency_caller_sid TEXT COLLATE "C",
                    date_created BIGINT NOT NULL,
                    date_updated BIGINT NOT NULL,
                    UNIQUE (account_sid, sid)
                )
                """,
                "CREATE UNIQUE INDEX domain_by_name ON domain (lower(domain_name))",
                """
                CREATE TABLE ip_access_control_list (
                    sid TEXT COLLATE "C" NOT NULL PRIMARY KEY CHECK (length(sid) = 34 AND sid LIKE 'AL%'),
                    account_sid TEXT COLLATE "C" NOT NULL CHECK (length(account_sid) = 34 AND account_sid LIKE 'AC%'),
                    friendly_name TEXT COLLATE "C" NOT NULL CHECK (length(friendly_name) BETWEEN 1 AND 255),
                    date_created BIGINT NOT NULL,
                    date_updated BIGINT NOT NULL,
                    UNIQUE (account_sid, sid)
                )
                """,
                """
                CREATE TABLE ip_address (
                    sid TEXT COLLATE "C" NOT NULL PRIMARY KEY CHECK (length(sid) = 34 AND sid LIKE 'IP%'),
                    account_sid TEXT COLLATE "C" NOT NULL,
                    ip_access_control_list_sid TEXT COLLATE "C" NOT NULL,
                    friendly_name TEXT COLLATE "C" NOT NULL CHECK (length(friendly_name) BETWEEN 1 AND 255),
                    network BYTEA NOT NULL CHECK (length(network) IN (4, 16)),
                    prefix_length BIGINT NOT NULL CHECK (prefix_length BETWEEN 0 AND 8 * length(network)),
                    date_created BIGINT NOT NULL,
                    date_updated BIGINT NOT NULL,
                    UNIQUE (ip_access_control_list_sid, network, prefix_length),
                    FOREIGN KEY (account_sid, ip_access_control_list_sid)
                        REFERENCES ip_access_control_list (account_sid, sid) ON DELETE CASCADE
                )
                """,
                "CREATE INDEX ip_address_by_list ON ip_address (account_sid, ip_access_control_list_sid, sid)",
                """
                CREATE TABLE ip_access_control_list_mapping (
                    kind TEXT COLLATE "C" NOT NULL CHECK (kind IN ('legacy', 'auth_calls')),
                    account_sid TEXT COLLATE "C" NOT NULL,
                    domain_sid TEXT COLLATE "C" NOT NULL,
                    ip_access_control_list_sid TEXT COLLATE "C" NOT NULL,
                    date_created BIGINT NOT NULL,
                    date_updated BIGINT NOT NULL,
                    PRIMARY KEY (domain_sid, kind, ip_access_control_list_sid),
                    FOREIGN KEY (account_sid, domain_sid)
                        REFERENCES domain (account_sid, sid) ON DELETE CASCADE,
                    FOREIGN KEY (account_sid, ip_access_control_list_sid)
                        REFERENCES ip_access_control_list (account_sid, sid) ON DELETE CASCADE
                )
                """,
                "CREATE INDEX mapping_by_domain ON ip_access_control_list_mapping (account_sid, domain_sid)",
                "CREATE INDEX mapping_by_list ON ip_access_control_list_mapping (account_sid, ip_access_control_list_sid)",
            ]),
        // SQLite's v2 removed entries stored with prefix length 0 by an early release; a
        // PostgreSQL store never had them, but runs the same step so that both record the
        // same migrations.
        Migration(
            identifier: "v2: remove entries stored with prefix length 0",
            statements: [
                """
                WITH removed AS (DELETE FROM ip_address WHERE prefix_length = 0 RETURNING 1)
                UPDATE policy_generation SET value = value + 1 WHERE id = 1 AND EXISTS (SELECT 1 FROM removed)
                """
            ]),
        Migration(
            identifier: "v3: credential lists",
            statements: [
                """
                CREATE TABLE credential_list (
                    sid TEXT COLLATE "C" NOT NULL PRIMARY KEY CHECK (length(sid) = 34 AND sid LIKE 'CL%'),
                    account_sid TEXT COLLATE "C" NOT NULL CHECK (length(account_sid) = 34 AND account_sid LIKE 'AC%'),
                    friendly_name TEXT COLLATE "C" NOT NULL CHECK (length(friendly_name) BETWEEN 1 AND 64),
                    date_created BIGINT NOT NULL,
                    date_updated BIGINT NOT NULL,
                    UNIQUE (account_sid, sid)
                )
                """,
                """
                CREATE TABLE credential (
                    sid TEXT COLLATE "C" NOT NULL PRIMARY KEY CHECK (length(sid) = 34 AND sid LIKE 'CR%'),
                    account_sid TEXT COLLATE "C" NOT NULL,
                    credential_list_sid TEXT COLLATE "C" NOT NULL,
                    username TEXT COLLATE "C" NOT NULL CHECK (length(username) BETWEEN 1 AND 32),
                    realm TEXT COLLATE "C" NOT NULL CHECK (length(realm) BETWEEN 1 AND 255),
                    ha1_md5 TEXT COLLATE "C" NOT NULL CHECK (ha1_md5 ~ '^[0-9a-f]{32}$'),
                    ha1_sha256 TEXT COLLATE "C" NOT NULL CHECK (ha1_sha256 ~ '^[0-9a-f]{64}$'),
                    date_created BIGINT NOT NULL,
                    date_updated BIGINT NOT NULL,
                    UNIQUE (credential_list_sid, username),
                    FOREIGN KEY (account_sid, credential_list_sid)
                        REFERENCES credential_list (account_sid, sid) ON DELETE CASCADE
                )
                """,
                "CREATE INDEX credential_by_list ON credential (account_sid, credential_list_sid, sid)",
                """
                CREATE TABLE credential_list_mapping (
                    kind TEXT COLLATE "C" NOT NULL CHECK (kind IN ('legacy', 'auth_calls', 'auth_registrations')),
                    account_sid TEXT COLLATE "C" NOT NULL,
                    domain_sid TEXT COLLATE "C" NOT NULL,
                    credential_list_sid TEXT COLLATE "C" NOT NULL,
                    date_created BIGINT NOT NULL,
                    date_updated BIGINT NOT NULL,
                    PRIMARY KEY (domain_sid, kind, credential_list_sid),
                    FOREIGN KEY (account_sid, domain_sid)
                        REFERENCES domain (account_sid, sid) ON DELETE CASCADE,
                    FOREIGN KEY (account_sid, credential_list_sid)
                        REFERENCES credential_list (account_sid, sid) ON DELETE CASCADE
                )
                """,
                "CREATE INDEX credential_mapping_by_domain ON credential_list_mapping (account_sid, domain_sid)",
                "CREATE INDEX credential_mapping_by_list ON credential_list_mapping (account_sid, credential_list_sid)",
            ]),
        Migration(
            identifier: "v4: the persistent SIP secret",
            statements: [
                """
                CREATE TABLE sip_secret (
                    id BIGINT PRIMARY KEY CHECK (id = 1),
                    secret BYTEA NOT NULL CHECK (length(secret) >= 16)
                )
                """
            ]),
        Migration(
            identifier: "v5: the policy change journal",
            statements: [
                "ALTER TABLE policy_generation ADD COLUMN journal_floor BIGINT NOT NULL DEFAULT 0",
                "UPDATE policy_generation SET journal_floor = value",
                """
                CREATE TABLE policy_change (
                    id BIGSERIAL PRIMARY KEY,
                    generation BIGINT NOT NULL,
                    kind TEXT COLLATE "C" NOT NULL
                        CHECK (kind IN ('reload', 'records', 'address_added', 'address_removed', 'list_deleted')),
                    ip_access_control_list_sid TEXT COLLATE "C",
                    network BYTEA,
                    prefix_length BIGINT,
                    CHECK ((kind IN ('address_added', 'address_removed')) = (network IS NOT NULL))
                )
                """,
                "CREATE INDEX policy_change_by_generation ON policy_change (generation, kind)",
            ] + journalTriggers),
    ]

    /// The generation the running write transaction will commit at, in PL/pgSQL.
    private static let pending = "(SELECT value + 1 FROM policy_generation WHERE id = 1)"

    /// The journal's triggers: the same rows as SQLite's (see `PolicyJournal`).
    static var journalTriggers: [String] {
        let columns = "generation, kind, ip_access_control_list_sid, network, prefix_length"
        var statements = [
            """
            CREATE FUNCTION policy_change_addresses() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                pending BIGINT := \(pending);
            BEGIN
                IF EXISTS (SELECT 1 FROM policy_change WHERE generation = pending AND kind = 'reload') THEN
                    RETURN NULL;
                END IF;
                IF TG_OP = 'INSERT' THEN
                    INSERT INTO policy_change (\(columns))
                    SELECT pending, 'address_added', n.ip_access_control_list_sid, n.network, n.prefix_length
                    FROM new_rows n;
                ELSIF TG_OP = 'DELETE' THEN
                    -- A cascade from a deleted list runs after the list's row is gone.
                    INSERT INTO policy_change (\(columns))
                    SELECT pending, 'address_removed', o.ip_access_control_list_sid, o.network, o.prefix_length
                    FROM old_rows o
                    WHERE EXISTS (SELECT 1 FROM ip_access_control_list l WHERE l.sid = o.ip_access_control_list_sid);
                ELSE
                    INSERT INTO policy_change (\(columns))
                    SELECT pending, 'address_removed', o.ip_access_control_list_sid, o.network, o.prefix_length
                    FROM old_rows o JOIN new_rows n ON n.sid = o.sid
                    WHERE (o.ip_access_control_list_sid, o.network, o.prefix_length)
                        IS DISTINCT FROM (n.ip_access_control_list_sid, n.network, n.prefix_length);
                    INSERT INTO policy_change (\(columns))
                    SELECT pending, 'address_added', n.ip_access_control_list_sid, n.network, n.prefix_length
                    FROM old_rows o JOIN new_rows n ON n.sid = o.sid
                    WHERE (o.ip_access_control_list_sid, o.network, o.prefix_length)
                        IS DISTINCT FROM (n.ip_access_control_list_sid, n.network, n.prefix_length);
                END IF;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER policy_change_address_insert AFTER INSERT ON ip_address
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION policy_change_addresses()
            """,
            """
            CREATE TRIGGER policy_change_address_delete AFTER DELETE ON ip_address
            REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION policy_change_addresses()
            """,
            """
            CREATE TRIGGER policy_change_address_update AFTER UPDATE ON ip_address
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION policy_change_addresses()
            """,
            """
            CREATE FUNCTION policy_change_list_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                pending BIGINT := \(pending);
            BEGIN
                IF NOT EXISTS (SELECT 1 FROM policy_change WHERE generation = pending AND kind = 'reload') THEN
                    INSERT INTO policy_change (generation, kind, ip_access_control_list_sid)
                    VALUES (pending, 'list_deleted', OLD.sid);
                END IF;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER policy_change_list_deleted AFTER DELETE ON ip_access_control_list
            FOR EACH ROW EXECUTE FUNCTION policy_change_list_deleted()
            """,
            """
            CREATE FUNCTION policy_change_records() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                pending BIGINT := \(pending);
            BEGIN
                IF NOT EXISTS (
                    SELECT 1 FROM policy_change WHERE generation = pending AND kind IN ('reload', 'records'))
                THEN
                    INSERT INTO policy_change (generation, kind) VALUES (pending, 'records');
                END IF;
                RETURN NULL;
            END
            $$
            """,
        ]
        for (table, update) in PolicyJournal.recordTables {
            statements.append(
                """
                CREATE TRIGGER policy_change_\(table)_records AFTER INSERT OR DELETE OR \(update) ON \(table)
                FOR EACH ROW EXECUTE FUNCTION policy_change_records()
                """)
        }
        return statements
    }
}
