import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { type Migration, migrateSqlite, redactUrl, sqliteSchemaVersion } from "../src/index.ts";

const MIGRATIONS: Migration<Database>[] = [
  {
    version: 1,
    description: "notes",
    sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)",
  },
  {
    version: 2,
    description: "upper-case copy, filled in JS",
    sql: "ALTER TABLE notes ADD COLUMN shout TEXT",
    after(db) {
      for (const row of db
        .query<{ id: number; text: string }, []>("SELECT id, text FROM notes")
        .all()) {
        db.run("UPDATE notes SET shout = ? WHERE id = ?", [row.text.toUpperCase(), row.id]);
      }
    },
  },
];

test("an empty database is brought to the newest version, once", () => {
  const db = new Database(":memory:");
  expect(sqliteSchemaVersion(db)).toBe(0);
  expect(migrateSqlite(db, MIGRATIONS)).toEqual([1, 2]);
  expect(sqliteSchemaVersion(db)).toBe(2);
  expect(migrateSqlite(db, MIGRATIONS)).toEqual([]);
  db.close();
});

test("a later migration runs on top of existing rows, with its after() in the same transaction", () => {
  const db = new Database(":memory:");
  expect(migrateSqlite(db, MIGRATIONS.slice(0, 1))).toEqual([1]);
  db.run("INSERT INTO notes (text) VALUES ('hi')");
  expect(migrateSqlite(db, MIGRATIONS)).toEqual([2]);
  expect(db.query("SELECT shout FROM notes").get()).toEqual({ shout: "HI" });
});

test("the version table keeps the format stored files already have (one row per version)", () => {
  const db = new Database(":memory:");
  migrateSqlite(db, MIGRATIONS);
  const columns = db
    .query<{ name: string; type: string }, []>("PRAGMA table_info(schema_version)")
    .all();
  expect(columns.map((c) => `${c.name} ${c.type}`)).toEqual([
    "version INTEGER",
    "applied_ms INTEGER",
  ]);
  expect(db.query("SELECT version FROM schema_version ORDER BY version").values()).toEqual([
    [1],
    [2],
  ]);
});

test("a named version table is separate from the default one", () => {
  const db = new Database(":memory:");
  expect(migrateSqlite(db, MIGRATIONS.slice(0, 1), { table: "notes_version" })).toEqual([1]);
  expect(sqliteSchemaVersion(db, { table: "notes_version" })).toBe(1);
  expect(sqliteSchemaVersion(db)).toBe(0);
  expect(() => migrateSqlite(db, MIGRATIONS, { table: "x; DROP TABLE notes" })).toThrow(RangeError);
});

test("a database newer than the code is refused, untouched", () => {
  const db = new Database(":memory:");
  migrateSqlite(db, MIGRATIONS);
  db.run("INSERT INTO schema_version (version, applied_ms) VALUES (999, 0)");
  expect(() => migrateSqlite(db, MIGRATIONS)).toThrow(
    expect.objectContaining({
      code: "SCHEMA_TOO_NEW",
      message: "database schema version 999 is newer than this server (2)",
    }),
  );
});

test("a migration that fails leaves the file at the previous whole version", () => {
  const db = new Database(":memory:");
  const broken = [
    ...MIGRATIONS,
    { version: 3, description: "bad", sql: "ALTER TABLE nope ADD x INT" },
  ];
  expect(() => migrateSqlite(db, broken)).toThrow();
  expect(sqliteSchemaVersion(db)).toBe(2);
});

test("redactUrl hides the password and nothing else", () => {
  expect(redactUrl("postgres://app:secret@db:5432/board")).toBe("postgres://app:***@db:5432/board");
  expect(redactUrl("redis://127.0.0.1:6379")).toBe("redis://127.0.0.1:6379");
  expect(redactUrl("not a url secret")).toBe("(invalid URL)");
});
