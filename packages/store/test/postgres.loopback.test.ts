// Migrations, openPostgres and group commit on a real PostgreSQL 15 started on loopback.
// Needs PostgreSQL 15 (Debian: postgresql); under CI a missing one fails, locally the file skips.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { havePostgres, startPostgres, type TestPostgres } from "@netkit/testkit";
import type { SQL } from "bun";
import {
  GroupCommit,
  type Migration,
  migratePostgres,
  openPostgres,
  postgresSchemaVersion,
} from "../src/index.ts";

const enabled = havePostgres();
const maybe = enabled ? describe : describe.skip;
let pg: TestPostgres;
let databases = 0;
const open: SQL[] = [];

beforeAll(async () => {
  if (enabled) pg = await startPostgres();
}, 60_000);

afterAll(async () => {
  await Promise.all(open.map((sql) => sql.close()));
  await pg?.stop();
});

const VERSIONS = { table: "notes_schema_version", lockKey: 0x4e4f5401 };
const MIGRATIONS: Migration<SQL>[] = [
  {
    version: 1,
    description: "notes",
    sql: "CREATE TABLE notes (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, text TEXT NOT NULL)",
  },
  {
    version: 2,
    description: "upper-case copy, filled in JS",
    sql: "ALTER TABLE notes ADD COLUMN shout TEXT",
    async after(tx) {
      for (const row of (await tx`SELECT id, text FROM notes`) as { id: string; text: string }[]) {
        await tx`UPDATE notes SET shout = ${row.text.toUpperCase()} WHERE id = ${row.id}`;
      }
    },
  },
];

async function freshDatabase(): Promise<SQL> {
  const url = await pg.createDatabase(`store_${++databases}`);
  const sql = await openPostgres(url, { prepare: async () => {} });
  open.push(sql);
  return sql;
}

maybe("PostgreSQL migrations", () => {
  test("instances starting together migrate once (advisory lock), in one transaction", async () => {
    const sql = await freshDatabase();
    expect(await postgresSchemaVersion(sql, VERSIONS)).toBe(0);
    const runs = await Promise.all([1, 2, 3].map(() => migratePostgres(sql, MIGRATIONS, VERSIONS)));
    expect(runs.flat().sort()).toEqual([1, 2]);
    expect(await postgresSchemaVersion(sql, VERSIONS)).toBe(2);
    const [row] = await sql`SELECT count(*)::int AS n FROM notes_schema_version`;
    expect(row?.n).toBe(2);
  });

  test("a later migration runs on existing rows; a newer database is refused", async () => {
    const sql = await freshDatabase();
    expect(await migratePostgres(sql, MIGRATIONS.slice(0, 1), VERSIONS)).toEqual([1]);
    await sql`INSERT INTO notes (text) VALUES ('hi')`;
    expect(await migratePostgres(sql, MIGRATIONS, VERSIONS)).toEqual([2]);
    expect(await sql`SELECT shout FROM notes`).toEqual([{ shout: "HI" }]);
    await sql`INSERT INTO notes_schema_version (version, applied_ms) VALUES (9, 0)`;
    await expect(migratePostgres(sql, MIGRATIONS, VERSIONS)).rejects.toMatchObject({
      code: "SCHEMA_TOO_NEW",
      message: "database schema version 9 is newer than this server (2)",
    });
  });

  test("a failing migration leaves nothing behind (one transaction)", async () => {
    const sql = await freshDatabase();
    const broken = [
      ...MIGRATIONS,
      { version: 3, description: "bad", sql: "ALTER TABLE nope ADD x INT" },
    ];
    await expect(migratePostgres(sql, broken, VERSIONS)).rejects.toThrow();
    expect(await postgresSchemaVersion(sql, VERSIONS)).toBe(0);
  });
});

maybe("openPostgres", () => {
  test("an unreachable server rejects with the engine's error, and nothing stays open", async () => {
    const url = `postgres://postgres@127.0.0.1:${pg.port + 1}/postgres`;
    let prepared = false;
    const attempt = openPostgres(url, {
      connectionTimeoutS: 2,
      prepare: async (sql) => {
        await sql`SELECT 1`;
        prepared = true;
      },
    });
    await expect(attempt).rejects.toThrow();
    expect(prepared).toBe(false);
  });
});

maybe("GroupCommit on PostgreSQL", () => {
  test("concurrent writers share transactions and get increasing ids", async () => {
    const sql = await freshDatabase();
    await migratePostgres(sql, MIGRATIONS, VERSIONS);
    const commits = new GroupCommit<string, number>({
      commit: (texts) =>
        sql.begin(async (tx) => {
          const rows = texts.map((text) => ({ text }));
          const ids = (await tx`INSERT INTO notes ${tx(rows)} RETURNING id`.values()) as [string][];
          return ids.map((r) => Number(r[0]));
        }),
      refuse: (error) => new Error(`storage unavailable: ${error}`),
    });
    const ids = await Promise.all(Array.from({ length: 50 }, (_, i) => commits.add(`n${i}`)));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(50);
    expect(commits.stats.commits).toBeLessThan(50);
    await commits.close();
  });
});
