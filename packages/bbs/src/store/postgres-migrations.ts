// PostgreSQL schema migrations: the same versions as the SQLite ones (migrations.ts), in
// PostgreSQL's dialect, recorded in a bbs_schema_version table (named per package: the BBS and the web chat may share a database). Applied under an
// advisory lock so that instances starting together migrate once.

import type { SQL } from "bun";
import { type Migration, nameKeyBackfill } from "./migrations.ts";

export interface PgMigration extends Migration {
  /** Runs after `sql`, in the same transaction: data work SQL can't do the JS way (NFKC). */
  after?: (tx: SQL) => Promise<void>;
}

/** Append only: never edit a released migration, add the next version instead. */
export const PG_MIGRATIONS: readonly PgMigration[] = [
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

export const PG_SCHEMA_VERSION = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]?.version ?? 0;

/** Advisory lock keys (arbitrary constants, "BBS" + purpose). */
export const PG_LOCK_MIGRATE = 0x42425301;
export const PG_LOCK_WRITE = 0x42425302;
/** Serializes login reservations (check then insert) across instances; see postgres-logins.ts. */
export const PG_LOCK_LOGIN = 0x42425303;

/** Brings the database up to the newest schema; returns the versions applied. Refuses a newer one. */
export async function migratePostgres(
  sql: SQL,
  migrations: readonly PgMigration[] = PG_MIGRATIONS,
): Promise<number[]> {
  return await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${PG_LOCK_MIGRATE})`;
    await tx`CREATE TABLE IF NOT EXISTS bbs_schema_version (version INTEGER NOT NULL, applied_ms BIGINT NOT NULL)`;
    const [row] = await tx`SELECT coalesce(max(version), 0)::int AS v FROM bbs_schema_version`;
    const current = Number(row?.v ?? 0);
    const newest = migrations[migrations.length - 1]?.version ?? 0;
    if (current > newest) {
      throw new Error(`database schema version ${current} is newer than this server (${newest})`);
    }
    const applied: number[] = [];
    for (const m of migrations) {
      if (m.version <= current) continue;
      await tx.unsafe(m.sql);
      await m.after?.(tx);
      await tx`INSERT INTO bbs_schema_version (version, applied_ms) VALUES (${m.version}, ${Date.now()})`;
      applied.push(m.version);
    }
    return applied;
  });
}

/** Current schema version (0 for an empty database). */
export async function postgresSchemaVersion(sql: SQL): Promise<number> {
  const [t] = await sql`SELECT to_regclass('bbs_schema_version') IS NOT NULL AS present`;
  if (!t?.present) return 0;
  const [row] = await sql`SELECT coalesce(max(version), 0)::int AS v FROM bbs_schema_version`;
  return Number(row?.v ?? 0);
}
