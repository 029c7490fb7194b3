// Schema migrations on PostgreSQL (Bun.SQL): every pending version in one transaction, under a
// transaction-level advisory lock so that instances starting together migrate once, recorded in
// a version table (`version INTEGER, applied_ms BIGINT`) named per service, because several
// services may share one database.

import type { SQL } from "bun";
import { checkTableName, type Migration, refuseNewer } from "./migration.ts";

/** Where a service records its schema versions in a shared database, and the lock it migrates under. */
export interface PostgresMigrateOptions {
  /** The version table, named per service (`bbs_schema_version`). */
  table: string;
  /** The advisory lock key (any bigint the service owns) held while migrating. */
  lockKey: number;
}

/**
 * Brings the database up to the newest of `migrations` in one transaction and returns the
 * versions applied (`[]` when it was current). Waits for an instance migrating at the same time.
 * Refuses (StoreError SCHEMA_TOO_NEW) a database whose version is newer than the code's.
 */
export async function migratePostgres(
  sql: SQL,
  migrations: readonly Migration<SQL>[],
  options: PostgresMigrateOptions,
): Promise<number[]> {
  const table = checkTableName(options.table);
  return await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${options.lockKey})`;
    await tx.unsafe(
      `CREATE TABLE IF NOT EXISTS ${table} (version INTEGER NOT NULL, applied_ms BIGINT NOT NULL)`,
    );
    const [row] = await tx.unsafe(`SELECT coalesce(max(version), 0)::int AS v FROM ${table}`);
    const current = Number(row?.v ?? 0);
    refuseNewer(current, migrations);
    const applied: number[] = [];
    for (const m of migrations) {
      if (m.version <= current) continue;
      await tx.unsafe(m.sql);
      await m.after?.(tx);
      await tx.unsafe(`INSERT INTO ${table} (version, applied_ms) VALUES ($1, $2)`, [
        m.version,
        Date.now(),
      ]);
      applied.push(m.version);
    }
    return applied;
  });
}

/** The schema version recorded in `table` (0 for a database that never ran a migration). */
export async function postgresSchemaVersion(
  sql: SQL,
  options: Pick<PostgresMigrateOptions, "table">,
): Promise<number> {
  const table = checkTableName(options.table);
  const [t] = await sql`SELECT to_regclass(${table}) IS NOT NULL AS present`;
  if (!t?.present) return 0;
  const [row] = await sql.unsafe(`SELECT coalesce(max(version), 0)::int AS v FROM ${table}`);
  return Number(row?.v ?? 0);
}
