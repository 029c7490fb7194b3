// The web chat's schema for both engines: the same versions, each engine's dialect, applied by
// @netkit/store's migrateSqlite (schema_version table) and migratePostgres
// (httpchat_schema_version). Append only: never edit a released migration, add the next version.
import type { Migration, PostgresMigrateOptions } from "@netkit/store";

/** The web chat's schema on SQLite. */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "messages",
    // IF NOT EXISTS: files written before migrations existed already have this table.
    // AUTOINCREMENT: an id is never reused, even if the newest rows were ever deleted.
    sql: "CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, text TEXT NOT NULL, time TEXT NOT NULL)",
  },
  {
    version: 2,
    description: "client keys: a post resent after a lost answer is stored once",
    sql: "ALTER TABLE messages ADD COLUMN client_key TEXT; CREATE UNIQUE INDEX messages_client_key ON messages (client_key) WHERE client_key IS NOT NULL",
  },
];

/** The web chat's schema on PostgreSQL. */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "messages",
    // An identity column draws ids from one sequence: unique and increasing across instances.
    sql: "CREATE TABLE messages (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name TEXT NOT NULL, text TEXT NOT NULL, time TIMESTAMPTZ NOT NULL)",
  },
  {
    version: 2,
    description: "client keys: a post resent after a lost answer is stored once",
    sql: "ALTER TABLE messages ADD COLUMN client_key TEXT; CREATE UNIQUE INDEX messages_client_key ON messages (client_key) WHERE client_key IS NOT NULL",
  },
];

/** Advisory lock keys ("HC" + purpose), shared by every instance on the database. */
export const PG_LOCK_MIGRATE = 0x48430001;
export const PG_LOCK_WRITE = 0x48430002;

/**
 * Where the web chat records its PostgreSQL schema version: a table named per package, since the
 * web chat and the BBS may share one database.
 */
export const POSTGRES_MIGRATE_OPTIONS: PostgresMigrateOptions = {
  table: "httpchat_schema_version",
  lockKey: PG_LOCK_MIGRATE,
};
