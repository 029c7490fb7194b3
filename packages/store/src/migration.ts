// Migration: one step of a schema, the same shape for SQLite and PostgreSQL.

import { StoreError } from "./errors.ts";

/**
 * One schema version. Lists of them are append only: never edit a released migration, add the
 * next version instead. `Db` is what `after` receives: bun:sqlite's `Database` for
 * migrateSqlite, the transaction's `SQL` for migratePostgres. A plain `Migration` (no `after`
 * needing either) fits both.
 */
export interface Migration<Db = unknown> {
  /** Increasing from 1, in list order. */
  version: number;
  description: string;
  /** Run as one script (several statements allowed). */
  sql: string;
  /**
   * Runs after `sql`, in the same transaction: data work SQL can't do (Unicode NFKC in JS, for
   * instance). For SQLite it must be synchronous.
   */
  after?: (db: Db) => void | Promise<void>;
}

/** The newest version of a list of migrations (0 for none). */
export function newestVersion(migrations: readonly Pick<Migration, "version">[]): number {
  return migrations[migrations.length - 1]?.version ?? 0;
}

/** Throws SCHEMA_TOO_NEW when the database is ahead of the code (an older server restarted on it). */
export function refuseNewer(
  current: number,
  migrations: readonly Pick<Migration, "version">[],
): void {
  const newest = newestVersion(migrations);
  if (current > newest) {
    throw new StoreError(
      "SCHEMA_TOO_NEW",
      `database schema version ${current} is newer than this server (${newest})`,
    );
  }
}

/** A version table name is put into SQL text: only plain identifiers are accepted. */
export function checkTableName(table: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) {
    throw new RangeError(`table must be a lower-case SQL identifier, not ${JSON.stringify(table)}`);
  }
  return table;
}
