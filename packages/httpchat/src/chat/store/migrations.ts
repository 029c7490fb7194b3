// Schema migrations for both engines: the same versions, each engine's dialect, recorded in a
// schema_version table. Append only: never edit a released migration, add the next version.
import type { Database } from "bun:sqlite";
import type { SQL } from "bun";

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "messages",
    // IF NOT EXISTS: files written before migrations existed already have this table.
    // AUTOINCREMENT: an id is never reused, even if the newest rows were ever deleted.
    sql: "CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, text TEXT NOT NULL, time TEXT NOT NULL)",
  },
];

export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "messages",
    // An identity column draws ids from one sequence: unique and increasing across instances.
    sql: "CREATE TABLE messages (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name TEXT NOT NULL, text TEXT NOT NULL, time TIMESTAMPTZ NOT NULL)",
  },
];

/** Advisory lock keys ("HC" + purpose), shared by every instance on the database. */
export const PG_LOCK_MIGRATE = 0x48430001;
export const PG_LOCK_WRITE = 0x48430002;

function newest(migrations: readonly Migration[]): number {
  return migrations[migrations.length - 1]?.version ?? 0;
}

function tooNew(current: number, migrations: readonly Migration[]): Error {
  return new Error(
    `database schema version ${current} is newer than this server (${newest(migrations)})`,
  );
}

/** Brings a SQLite file up to the newest schema; returns the versions applied. */
export function migrateSqlite(
  db: Database,
  migrations: readonly Migration[] = SQLITE_MIGRATIONS,
): number[] {
  db.run(
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_ms INTEGER NOT NULL)",
  );
  const row = db
    .query<{ v: number | null }, []>("SELECT max(version) AS v FROM schema_version")
    .get();
  const current = row?.v ?? 0;
  if (current > newest(migrations)) throw tooNew(current, migrations);
  const applied: number[] = [];
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.run(m.sql);
      db.run("INSERT INTO schema_version (version, applied_ms) VALUES (?, ?)", [
        m.version,
        Date.now(),
      ]);
    })();
    applied.push(m.version);
  }
  return applied;
}

/**
 * Brings a PostgreSQL database up to the newest schema in one transaction, under an advisory
 * lock so that instances starting together migrate once; returns the versions applied.
 */
export async function migratePostgres(
  sql: SQL,
  migrations: readonly Migration[] = POSTGRES_MIGRATIONS,
): Promise<number[]> {
  return await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${PG_LOCK_MIGRATE})`;
    // Named per package: the web chat and the BBS may share one PostgreSQL database.
    await tx`CREATE TABLE IF NOT EXISTS httpchat_schema_version (version INTEGER NOT NULL, applied_ms BIGINT NOT NULL)`;
    const [row] = await tx`SELECT coalesce(max(version), 0)::int AS v FROM httpchat_schema_version`;
    const current = Number(row?.v ?? 0);
    if (current > newest(migrations)) throw tooNew(current, migrations);
    const applied: number[] = [];
    for (const m of migrations) {
      if (m.version <= current) continue;
      await tx.unsafe(m.sql);
      await tx`INSERT INTO httpchat_schema_version (version, applied_ms) VALUES (${m.version}, ${Date.now()})`;
      applied.push(m.version);
    }
    return applied;
  });
}
