// Schema migrations on bun:sqlite: each version in its own transaction, recorded in a version
// table (`version INTEGER, applied_ms INTEGER`, one row per version applied).

import type { Database } from "bun:sqlite";
import { checkTableName, type Migration, refuseNewer } from "./migration.ts";

/** Where a SQLite file records its schema versions. */
export interface SqliteMigrateOptions {
  /** The version table (one file belongs to one service). @default "schema_version" */
  table?: string;
}

const DEFAULT_TABLE = "schema_version";

function ensureTable(db: Database, table: string): void {
  db.run(
    `CREATE TABLE IF NOT EXISTS ${table} (version INTEGER NOT NULL, applied_ms INTEGER NOT NULL)`,
  );
}

function readVersion(db: Database, table: string): number {
  const row = db.query<{ v: number | null }, []>(`SELECT max(version) AS v FROM ${table}`).get();
  return row?.v ?? 0;
}

/** The schema version of `db` (0 for an empty file, or one that never ran a migration). */
export function sqliteSchemaVersion(db: Database, options: SqliteMigrateOptions = {}): number {
  const table = checkTableName(options.table ?? DEFAULT_TABLE);
  const present = db
    .query<{ n: number }, [string]>(
      "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?",
    )
    .get(table);
  return present?.n ? readVersion(db, table) : 0;
}

/**
 * Brings `db` up to the newest of `migrations` and returns the versions applied (`[]` when it was
 * current). Each version runs in its own transaction with its row in the version table, so a
 * crash leaves the file at a whole version. Refuses (StoreError SCHEMA_TOO_NEW) a file whose
 * version is newer than the code's.
 */
export function migrateSqlite(
  db: Database,
  migrations: readonly Migration<Database>[],
  options: SqliteMigrateOptions = {},
): number[] {
  const table = checkTableName(options.table ?? DEFAULT_TABLE);
  ensureTable(db, table);
  const current = readVersion(db, table);
  refuseNewer(current, migrations);
  const applied: number[] = [];
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.run(m.sql);
      const done = m.after?.(db);
      if (done instanceof Promise) {
        throw new TypeError(
          `migration ${m.version}: a SQLite migration's after() must be synchronous`,
        );
      }
      db.run(`INSERT INTO ${table} (version, applied_ms) VALUES (?, ?)`, [m.version, Date.now()]);
    })();
    applied.push(m.version);
  }
  return applied;
}
