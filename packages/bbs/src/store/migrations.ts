// The BBS schema on SQLite: applied by @netkit/store's migrateSqlite, each version in its own
// transaction, recorded in the file's schema_version table.

import type { Database } from "bun:sqlite";
import { nameKey } from "@netkit/framing";
import { type Migration, newestVersion } from "@netkit/store";

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

/** The BBS schema on SQLite. Append only: never edit a released migration, add the next version. */
export const MIGRATIONS: readonly Migration<Database>[] = [
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

/** The newest BBS schema version on SQLite. */
export const SCHEMA_VERSION = newestVersion(MIGRATIONS);
