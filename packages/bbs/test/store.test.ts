import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { migrateSqlite, Settler, sqliteSchemaVersion } from "@netkit/store";
import { BbsStore, MIGRATIONS, SCHEMA_VERSION } from "../src/index.ts";
import { tempDir } from "./helpers.ts";

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

describe("migrations", () => {
  test("an empty database is brought to the newest version, once", () => {
    const db = new Database(":memory:");
    expect(sqliteSchemaVersion(db)).toBe(0);
    expect(migrateSqlite(db, MIGRATIONS)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(sqliteSchemaVersion(db)).toBe(SCHEMA_VERSION);
    expect(migrateSqlite(db, MIGRATIONS)).toEqual([]);
    db.close();
  });

  test("a later migration is applied on top of an existing file", () => {
    const db = new Database(":memory:");
    migrateSqlite(db, MIGRATIONS);
    const next = [
      ...MIGRATIONS,
      { version: SCHEMA_VERSION + 1, description: "x", sql: "ALTER TABLE posts ADD COLUMN x INT" },
    ];
    expect(migrateSqlite(db, next)).toEqual([SCHEMA_VERSION + 1]);
    expect(sqliteSchemaVersion(db)).toBe(SCHEMA_VERSION + 1);
    db.close();
  });

  test("a version 1 file gains the login ledger (version 2) and name keys (3); its rows are kept", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const path = join(dir.path, "v1.sqlite");
    const old = new Database(path);
    expect(migrateSqlite(old, MIGRATIONS.slice(0, 1))).toEqual([1]);
    old.run("INSERT INTO accounts (username, password_hash, created_ms) VALUES ('old', 'h', 0)");
    old.close();
    const store = new BbsStore({ path });
    expect(store.passwordHash("old")).toBe("h");
    const limits = { maxPerName: 1, maxPerAddress: 10, windowMs: 60_000 };
    expect(store.reserveLogin("old", "10.0.0.1", limits, 1000).attemptId).toBeGreaterThan(0);
    expect(store.reserveLogin("old", "10.0.0.2", limits, 2000)).toEqual({
      attemptId: 0,
      retryAfterMs: 59_000,
    });
    await store.close();
    const check = new Database(path);
    expect(sqliteSchemaVersion(check)).toBe(3);
    check.close();
  });

  test("a database newer than the code is refused", () => {
    const db = new Database(":memory:");
    migrateSqlite(db, MIGRATIONS);
    db.run("INSERT INTO schema_version (version, applied_ms) VALUES (999, 0)");
    expect(() => migrateSqlite(db, MIGRATIONS)).toThrow(/newer/);
    db.close();
  });
});

describe("BbsStore", () => {
  test("writes queued in one turn are committed in one transaction, each caller resolved", async () => {
    const store = new BbsStore({ path: ":memory:" });
    const ids = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.addPost("ann", `p${i}`)),
    );
    expect(ids).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(store.stats.commits).toBe(1);
    expect(store.stats.maxBatch).toBe(50);
    await store.addPost("bob", "later");
    expect(store.stats.commits).toBe(2);
    await store.close();
  });

  test("a mixed batch keeps its order and every caller gets its own id", async () => {
    const store = new BbsStore({ path: ":memory:" });
    const writes: Promise<number>[] = [];
    for (let i = 0; i < 300; i++) {
      writes.push(
        i % 7 === 3 ? store.addDm("ann", "bob", `dm${i}`) : store.addPost("ann", `p${i}`),
      );
    }
    const ids = await Promise.all(writes);
    expect(store.stats.commits).toBe(1);
    const posts = store.posts(0, store.lastPostId(), 1000);
    const dms = store.dms("bob");
    for (let i = 0; i < 300; i++) {
      const row =
        i % 7 === 3 ? dms.find((m) => m.id === ids[i]) : posts.find((p) => p.id === ids[i]);
      expect(row?.body).toBe(i % 7 === 3 ? `dm${i}` : `p${i}`);
    }
    expect(posts.map((p) => p.body)).toEqual(
      Array.from({ length: 300 }, (_, i) => i)
        .filter((i) => i % 7 !== 3)
        .map((i) => `p${i}`),
    );
    await store.close();
  });

  test("a write's promise resolves only after it is visible to readers", async () => {
    const store = new BbsStore({ path: ":memory:" });
    const p = store.addPost("ann", "hello");
    expect(store.lastPostId()).toBe(0);
    await p;
    expect(store.posts(0, store.lastPostId(), 10).map((r) => r.body)).toEqual(["hello"]);
    await store.close();
  });

  test("posts, DMs, read marks and accounts survive reopening the file", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const path = join(dir.path, "nested", "bbs.sqlite");
    const a = new BbsStore({ path, now: () => 1000 });
    await Promise.all([
      a.addPost("ann", "one"),
      a.addDm("ann", "bob", "psst"),
      a.addAccount("bob", "h"),
    ]);
    await a.markDmsRead("bob", 1);
    expect(await a.addAccount("bob", "other")).toBe(false);
    await a.close();
    const b = new BbsStore({ path });
    expect(b.posts(0, 100, 10)).toEqual([{ id: 1, author: "ann", body: "one", createdMs: 1000 }]);
    expect(b.dms("bob").map((m) => [m.sender, m.body])).toEqual([["ann", "psst"]]);
    expect(b.unreadDmCount("bob")).toBe(0);
    expect(b.passwordHash("bob")).toBe("h");
    await b.addDm("cy", "bob", "again");
    expect(b.unreadDmCount("bob")).toBe(1);
    await b.close();
  });

  test("the read mark never moves backwards", async () => {
    const store = new BbsStore({ path: ":memory:" });
    for (let i = 0; i < 3; i++) await store.addDm("a", "bob", `m${i}`);
    await store.markDmsRead("bob", 3);
    await store.markDmsRead("bob", 1);
    expect(store.unreadDmCount("bob")).toBe(0);
    await store.close();
  });

  test("WAL mode and the chosen synchronous level are in effect", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const path = join(dir.path, "bbs.sqlite");
    for (const [mode, level] of [
      ["NORMAL", 1],
      ["FULL", 2],
    ] as const) {
      const store = new BbsStore({ path, synchronous: mode });
      expect(store.synchronousLevel).toBe(level);
      await store.addPost("a", "b");
      await store.close();
    }
    const db = new Database(path);
    expect(db.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    db.close();
  });

  test("a write after close is rejected with STORE_CLOSED", async () => {
    const store = new BbsStore({ path: ":memory:" });
    await store.close();
    await expect(store.addPost("a", "b")).rejects.toMatchObject({ code: "STORE_CLOSED" });
  });

  test("submit(): the caller's slot is settled after the commit, never inside submit()", async () => {
    const store = new BbsStore({ path: ":memory:" });
    const seen: number[] = [];
    const slot = {
      write: { kind: "post" as const, author: "ann", body: "slot" },
      resolve: (id: number) => seen.push(id),
      reject: () => seen.push(-1),
    };
    store.submit(slot);
    expect(seen).toEqual([]);
    await store.flush();
    expect(seen).toEqual([1]);
    await store.close();
    store.submit(slot);
    expect(seen).toEqual([1]);
    await Bun.sleep(0);
    expect(seen).toEqual([1, -1]);
  });

  test("a callback that throws does not leave the rest of its batch waiting (Settler)", () => {
    const settled: string[] = [];
    const slot = (name: string, fail = false) => ({
      write: { kind: "post" as const, author: name, body: "" },
      resolve: () => {
        settled.push(name);
        if (fail) throw new Error(`bug in ${name}`);
      },
      reject: () => settled.push(`${name} refused`),
    });
    const settle = new Settler();
    settle.resolve(slot("a", true), 1);
    settle.resolve(slot("b", true), 2);
    settle.reject(slot("c"), new Error("x"));
    expect(settled).toEqual(["a", "b", "c refused"]);
    expect(() => settle.done()).toThrow("bug in a");
  });

  test("after writes pause, the WAL is checkpointed", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const store = new BbsStore({
      path: join(dir.path, "bbs.sqlite"),
      idleCheckpointMs: 10,
      idleCheckpointCommits: 3,
    });
    for (let i = 0; i < 3; i++) await store.addPost("ann", `p${i}`);
    for (let i = 0; i < 200 && !store.stats.checkpoints; i++) await Bun.sleep(10);
    expect(store.stats.checkpoints).toBe(1);
    await store.close();
  });

  test("close commits writes still queued", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const path = join(dir.path, "bbs.sqlite");
    const a = new BbsStore({ path });
    const pending = a.addPost("ann", "queued");
    await a.close();
    expect(await pending).toBe(1);
    const b = new BbsStore({ path });
    expect(b.lastPostId()).toBe(1);
    await b.close();
  });
});
