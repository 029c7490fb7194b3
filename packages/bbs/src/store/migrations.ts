// Schema migrations: applied in order, each in its own transaction, recorded in schema_version.

import type { Database } from "bun:sqlite";
import { nameKey } from "@netkit/framing";

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export interface SqliteMigration extends Migration {
  /** Runs after `sql`, in the same transaction: data work SQL can't do (Unicode NFKC). */
  after?: (db: Database) => void;
}

/**
 * Fills accounts.name_key (migration 3): each account gets its name's key, except that when
 * older data holds look-alikes (`Bob` and `bob`), only the oldest gets the key; the others keep a
 * NULL key, so they still log in by their exact spelling but no new look-alike can register.
 * Returns the rows to set; the callers write them in their own dialect.
 */
export function nameKeyBackfill(
  accounts: readonly { username: string }[],
): { username: string; key: string }[] {
  const seen = new Set<string>();
  const rows: { username: string; key: string }[] = [];
  for (const { username } of accounts) {
    const key = nameKey(username);
    if (seen.has(key)) continue;
    seen.add(key);
    rows.push({ username, key });
  }
  return rows;
}

/** Append only: never edit a released migration, add the next version instead. */
export const MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: "posts, direct messages, accounts, DM read marks",
    sql: `
      CREATE TABLE posts (
        id INTEGER PRIMARY KEY,
        author TEXT NOT NULL,
        body TEXT NOT NULL,
        created_ms INTEGER NOT NULL
      );
      CREATE TABLE dms (
        id INTEGER PRIMARY KEY,
        sender TEXT NOT NULL,
        recipient TEXT NOT NULL,
        body TEXT NOT NULL,
        created_ms INTEGER NOT NULL
      );
      CREATE INDEX dms_by_recipient ON dms (recipient, id);
      CREATE TABLE accounts (
        username TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        created_ms INTEGER NOT NULL
      );
      CREATE TABLE dm_reads (
        username TEXT PRIMARY KEY,
        last_read_id INTEGER NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: "login attempts (the failed-login throttle survives restarts)",
    // One row per login attempt that may check a password, written before it is checked (see
    // throttle.ts). username is cleared when a later login to the name succeeds: the name is
    // forgiven, the address is not. at_ms is indexed for pruning.
    sql: `
      CREATE TABLE login_attempts (
        id INTEGER PRIMARY KEY,
        username TEXT,
        address TEXT NOT NULL,
        at_ms INTEGER NOT NULL
      );
      CREATE INDEX login_attempts_by_name ON login_attempts (username, at_ms);
      CREATE INDEX login_attempts_by_address ON login_attempts (address, at_ms);
      CREATE INDEX login_attempts_by_time ON login_attempts (at_ms);
    `,
  },
  {
    version: 3,
    description: "accounts keyed by their NFKC + case-folded name, so look-alikes can't register",
    sql: "ALTER TABLE accounts ADD COLUMN name_key TEXT",
    after(db) {
      const accounts = db
        .query<{ username: string }, []>("SELECT username FROM accounts ORDER BY created_ms, rowid")
        .all();
      const set = db.query("UPDATE accounts SET name_key = ?1 WHERE username = ?2");
      for (const row of nameKeyBackfill(accounts)) set.run(row.key, row.username);
      // Unique, NULLs apart: the look-alikes left without a key don't collide.
      db.run("CREATE UNIQUE INDEX accounts_by_name_key ON accounts (name_key)");
    },
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** Current version of `db`'s schema (0 for an empty file). */
export function schemaVersion(db: Database): number {
  db.run(
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_ms INTEGER NOT NULL)",
  );
  const row = db
    .query<{ v: number | null }, []>("SELECT max(version) AS v FROM schema_version")
    .get();
  return row?.v ?? 0;
}

/** Brings `db` up to the newest schema; returns the versions applied. Refuses a newer file. */
export function migrate(
  db: Database,
  migrations: readonly SqliteMigration[] = MIGRATIONS,
): number[] {
  const current = schemaVersion(db);
  const newest = migrations[migrations.length - 1]?.version ?? 0;
  if (current > newest) {
    throw new Error(`database schema version ${current} is newer than this server (${newest})`);
  }
  const applied: number[] = [];
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.run(m.sql);
      m.after?.(db);
      db.run("INSERT INTO schema_version (version, applied_ms) VALUES (?, ?)", [
        m.version,
        Date.now(),
      ]);
    })();
    applied.push(m.version);
  }
  return applied;
}
