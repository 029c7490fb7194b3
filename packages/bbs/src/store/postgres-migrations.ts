// The BBS schema on PostgreSQL: the same versions as the SQLite ones (migrations.ts), in
// PostgreSQL's dialect, applied by @netkit/store's migratePostgres under an advisory lock and
// recorded in bbs_schema_version (named per package: the BBS and the web chat may share a database).

import { type Migration, newestVersion, type PostgresMigrateOptions } from "@netkit/store";
import type { SQL } from "bun";
import { nameKeyBackfill } from "./migrations.ts";

/** The BBS schema on PostgreSQL. Append only: never edit a released migration, add the next version. */
export const PG_MIGRATIONS: readonly Migration<SQL>[] = [
  {
    version: 1,
    description: "posts, direct messages, accounts, DM read marks",
    // Identity columns come from sequences: ids are unique and increasing across every instance.
    sql: `
      CREATE TABLE posts (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        author TEXT NOT NULL,
        body TEXT NOT NULL,
        created_ms BIGINT NOT NULL
      );
      CREATE TABLE dms (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        sender TEXT NOT NULL,
        recipient TEXT NOT NULL,
        body TEXT NOT NULL,
        created_ms BIGINT NOT NULL
      );
      CREATE INDEX dms_by_recipient ON dms (recipient, id);
      CREATE TABLE accounts (
        username TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        created_ms BIGINT NOT NULL
      );
      CREATE TABLE dm_reads (
        username TEXT PRIMARY KEY,
        last_read_id BIGINT NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: "login attempts (the failed-login throttle survives restarts)",
    // Shared by every instance on the database, so a lockout holds across instances.
    sql: `
      CREATE TABLE login_attempts (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        username TEXT,
        address TEXT NOT NULL,
        at_ms BIGINT NOT NULL
      );
      CREATE INDEX login_attempts_by_name ON login_attempts (username, at_ms);
      CREATE INDEX login_attempts_by_address ON login_attempts (address, at_ms);
      CREATE INDEX login_attempts_by_time ON login_attempts (at_ms);
    `,
  },
  {
    version: 3,
    description: "accounts keyed by their NFKC + case-folded name, so look-alikes can't register",
    // Computed in JS, not with PostgreSQL's normalize()/lower(): lower() follows the database's
    // collation, and the key must be the same one the server computes for every new name.
    sql: "ALTER TABLE accounts ADD COLUMN name_key TEXT",
    async after(tx) {
      const accounts = (await tx`SELECT username FROM accounts ORDER BY created_ms, username`) as {
        username: string;
      }[];
      for (const row of nameKeyBackfill(accounts)) {
        await tx`UPDATE accounts SET name_key = ${row.key} WHERE username = ${row.username}`;
      }
      await tx`CREATE UNIQUE INDEX accounts_by_name_key ON accounts (name_key)`;
    },
  },
];

/** The newest BBS schema version on PostgreSQL. */
export const PG_SCHEMA_VERSION = newestVersion(PG_MIGRATIONS);

/** Advisory lock keys (arbitrary constants, "BBS" + purpose). */
export const PG_LOCK_MIGRATE = 0x42425301;
export const PG_LOCK_WRITE = 0x42425302;
/** Serializes login reservations (check then insert) across instances; see postgres-logins.ts. */
export const PG_LOCK_LOGIN = 0x42425303;

/** Where the BBS records its PostgreSQL schema version, for migratePostgres and postgresSchemaVersion. */
export const PG_MIGRATE_OPTIONS: PostgresMigrateOptions = {
  table: "bbs_schema_version",
  lockKey: PG_LOCK_MIGRATE,
};
