// Several instances on a real PostgreSQL and a real Redis (started by the tests on loopback):
// posts cross between instances both ways, `who` spans instances, registered names are unique
// across instances, a Redis restart mid-traffic, kill -9 of an instance, PostgreSQL stopped.
// Needs redis-server and PostgreSQL 15 (Debian: redis-server, postgresql); under CI a missing one
// fails, locally the file skips loudly.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { migratePostgres, postgresSchemaVersion } from "@netkit/store";
import {
  havePostgres,
  haveRedis,
  startPostgres,
  startRedis,
  type TestPostgres,
  type TestRedis,
} from "@netkit/testkit";
import {
  BBS_DEFAULTS,
  type BbsServer,
  type BbsServerOptions,
  CLUSTER_DEFAULTS,
  PG_MIGRATE_OPTIONS,
  PG_MIGRATIONS,
  PG_SCHEMA_VERSION,
  PgStore,
  startBbsServer,
} from "../src/index.ts";
import { type ServerProcess, spawnServer } from "./fixtures/server-process.ts";
import { FAST_ARGON2, RawClient } from "./helpers.ts";

const enabled = havePostgres() && haveRedis();
const maybe = enabled ? describe : describe.skip;

let pg: TestPostgres;
let redis: TestRedis;
let dbCount = 0;
const cleanup: (() => unknown)[] = [];

beforeAll(async () => {
  if (!enabled) return;
  [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
}, 60_000);
afterAll(async () => {
  if (!enabled) return;
  await Promise.all([pg.stop(), redis.stop()]);
});
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** A fresh database per test, so tests do not see each other's posts. */
async function freshDb(): Promise<string> {
  dbCount += 1;
  return await pg.createDatabase(`bbs_test_${process.pid}_${dbCount}`);
}

const THROTTLED = /^error: too many failed logins, retry in \d+ s$/;
const FAST_CLUSTER = { heartbeatMs: 200, presenceTtlMs: 1000, reconnectMaxMs: 500 };

async function instance(
  postgresUrl: string,
  prefix: string,
  extra: BbsServerOptions = {},
): Promise<BbsServer> {
  const server = await startBbsServer({
    port: 0,
    postgresUrl,
    redisUrl: redis.url,
    cluster: { ...FAST_CLUSTER, prefix },
    ...FAST_ARGON2,
    ...extra,
  });
  cleanup.push(() => server.stop());
  return server;
}

async function session(port: number, name: string): Promise<RawClient> {
  const c = await RawClient.session(port, name);
  cleanup.push(() => c.close());
  return c;
}

/** Sends `command` until its listing equals `expected` (presence propagates asynchronously). */
async function eventually(c: RawClient, command: string, expected: string[]): Promise<void> {
  const deadline = Date.now() + 8000;
  let last: string[] = [];
  while (Date.now() < deadline) {
    c.send(command);
    last = await c.listing();
    if (JSON.stringify(last) === JSON.stringify(expected)) return;
    await Bun.sleep(100);
  }
  expect(last).toEqual(expected);
}

maybe("PostgreSQL store", () => {
  test("migrates once, group-commits, ids increase across two stores on one database", async () => {
    const url = await freshDb();
    const [a, b] = await Promise.all([PgStore.open({ url }), PgStore.open({ url })]);
    cleanup.push(
      () => a.close(),
      () => b.close(),
    );
    const ids = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).addPost(`u${i}`, `p${i}`)),
    );
    expect(new Set(ids).size).toBe(50);
    expect(a.stats.commits + b.stats.commits).toBeLessThanOrEqual(4);
    expect(a.stats.maxBatch).toBeGreaterThan(1);
    expect(await a.lastPostId()).toBe(Math.max(...ids));
    const rows = await b.posts(0, await b.lastPostId(), 100);
    expect(rows.map((r) => r.id)).toEqual([...ids].sort((x, y) => x - y));
    expect(await a.addAccount("ann", "h1")).toBe(true);
    expect(await b.addAccount("ann", "h2")).toBe(false);
    expect(await b.passwordHash("ann")).toBe("h1");
    const dm = await a.addDm("ann", "bob", "psst");
    expect(await b.unreadDmCount("bob")).toBe(1);
    await b.markDmsRead("bob", dm);
    await a.markDmsRead("bob", 0); // never moves backwards
    expect(await a.unreadDmCount("bob")).toBe(0);
    expect((await a.dms("bob")).map((m) => [m.sender, m.body])).toEqual([["ann", "psst"]]);
    const { SQL } = await import("bun");
    const sql = new SQL(url);
    cleanup.push(() => sql.close());
    expect(await postgresSchemaVersion(sql, PG_MIGRATE_OPTIONS)).toBe(PG_SCHEMA_VERSION);
    const [n] = await sql`SELECT count(*)::int AS n FROM bbs_schema_version`;
    expect(n?.n).toBe(PG_MIGRATIONS.length);
  }, 30_000);

  test("a version 1 database gains the login ledger; its accounts are kept", async () => {
    const url = await freshDb();
    const { SQL } = await import("bun");
    const sql = new SQL(url);
    cleanup.push(() => sql.close());
    expect(await migratePostgres(sql, PG_MIGRATIONS.slice(0, 1), PG_MIGRATE_OPTIONS)).toEqual([1]);
    await sql`INSERT INTO accounts (username, password_hash, created_ms) VALUES ('old', 'h', 0)`;
    const store = await PgStore.open({ url });
    cleanup.push(() => store.close());
    expect(await postgresSchemaVersion(sql, PG_MIGRATE_OPTIONS)).toBe(PG_SCHEMA_VERSION);
    expect(await store.passwordHash("old")).toBe("h");
    // migration 3 keyed the old account: its look-alikes find it and can't register
    expect(await store.passwordHash("ＯＬＤ")).toBe("h");
    expect(await store.addAccount("Old", "h2")).toBe(false);
    const limits = { maxPerName: 1, maxPerAddress: 10, windowMs: 60_000 };
    expect((await store.reserveLogin("old", "10.0.0.1", limits, 1000)).attemptId).toBeGreaterThan(
      0,
    );
    expect(await store.reserveLogin("old", "10.0.0.2", limits, 2000)).toEqual({
      attemptId: 0,
      retryAfterMs: 59_000,
    });
  }, 30_000);
});

maybe("two instances on PostgreSQL + Redis", () => {
  test("failed logins are counted in PostgreSQL: 1,000 parallel guesses over both instances verify 5 passwords, lockouts hold on both", async () => {
    const url = await freshDb();
    const a = await instance(url, "t6:", { maxConnectionsPerAddress: 0 });
    const b = await instance(url, "t6:", { maxConnectionsPerAddress: 0 });
    for (const name of ["bob", "ann"]) {
      const owner = await session(a.port, name);
      owner.send("register", `${name}'s password`);
      expect(await owner.next()).toBe("ok");
    }
    const guessers: RawClient[] = [];
    for (let i = 0; i < 1000; i += 100) {
      const batch = Array.from({ length: 100 }, (_, k) =>
        session((i + k) % 2 ? a.port : b.port, "bob"),
      );
      guessers.push(...(await Promise.all(batch)));
    }
    for (const [i, c] of guessers.entries()) c.send("login", `guess ${i}`);
    const replies = await Promise.all(guessers.map((c) => c.next(30_000)));
    const verified =
      a.board.accounts.stats.passwordsVerified + b.board.accounts.stats.passwordsVerified;
    expect(verified).toBe(BBS_DEFAULTS.maxFailuresPerName);
    expect(replies.filter((r) => r === "error: wrong password")).toHaveLength(5);
    expect(replies.filter((r) => THROTTLED.test(r))).toHaveLength(995);
    for (const s of [a, b]) {
      const { passwordsVerified, loginsThrottled } = s.board.accounts.stats;
      expect(passwordsVerified + loginsThrottled).toBe(500); // both instances took half
    }
    for (const port of [a.port, b.port]) {
      const owner = await session(port, "bob");
      owner.send("login", "bob's password");
      expect(await owner.next()).toMatch(THROTTLED);
    }
    // a lockout made one attempt at a time on A holds on B
    const guesser = await session(a.port, "ann");
    for (let i = 0; i < 5; i++) {
      guesser.send("login", `nope ${i}`);
      expect(await guesser.next()).toBe("error: wrong password");
    }
    const ann = await session(b.port, "ann");
    ann.send("login", "ann's password");
    expect(await ann.next()).toMatch(THROTTLED);
  }, 60_000);

  test("posts cross both ways, `who` spans instances, registered names are unique", async () => {
    const url = await freshDb();
    const a = await instance(url, "t1:");
    const b = await instance(url, "t1:");
    const ann = await session(a.port, "ann");
    const bob = await session(b.port, "bob");
    ann.send("hello from A");
    bob.send("hello from B");
    ann.send("unread");
    bob.send("unread");
    expect(await ann.next()).toBe("0");
    expect(await bob.next()).toBe("0");
    ann.send("list");
    bob.send("list");
    const expected = ["ann hello from A", "bob hello from B"].sort();
    expect((await ann.listing()).sort()).toEqual(expected);
    expect((await bob.listing()).sort()).toEqual(expected);
    // DMs cross too.
    ann.send("dm", "bob", "psst from A");
    ann.send("unread");
    await ann.next();
    bob.send("listdm");
    expect(await bob.listing()).toEqual(["ann psst from A"]);

    await eventually(ann, "who", ["ann", "bob"]);
    await eventually(bob, "who", ["ann", "bob"]);

    // Register on A: B refuses the same name, and a guest session under it on B is locked.
    const guestOnB = await session(b.port, "carol");
    guestOnB.send("unread");
    expect(await guestOnB.next()).toBe("0");
    const carolA = await session(a.port, "carol");
    carolA.send("register", "carol's password");
    expect(await carolA.next()).toBe("ok");
    const carolB = await session(b.port, "carol");
    carolB.send("register", "another password");
    expect(await carolB.next()).toBe("error: name already registered");
    carolB.send("login", "carol's password");
    expect(await carolB.next()).toBe("ok");
    // The guest that was already on B is locked once the registration is announced.
    const deadline = Date.now() + 5000;
    let reply = "";
    while (Date.now() < deadline) {
      guestOnB.send("unread");
      reply = await guestOnB.next();
      if (reply === "error: login required") break;
      await Bun.sleep(50);
    }
    expect(reply).toBe("error: login required");
  }, 30_000);

  test("Redis restart mid-traffic: instances keep serving, then presence and registrations recover", async () => {
    const url = await freshDb();
    const a = await instance(url, "t2:");
    const b = await instance(url, "t2:");
    const writers = [await session(a.port, "wa"), await session(b.port, "wb")];
    await eventually(writers[0] as RawClient, "who", ["wa", "wb"]);
    let stop = false;
    const acked = [-1, -1];
    const loops = writers.map(async (c, w) => {
      for (let i = 0; !stop; i++) {
        c.send(`w${w} #${i}`, "unread");
        expect(await c.next(5000)).toBe("0");
        acked[w] = i;
      }
    });
    await Bun.sleep(200);
    await redis.kill();
    const before = [...acked];
    await Bun.sleep(800);
    // Both instances kept serving their own clients with Redis gone.
    expect(acked[0]).toBeGreaterThan(before[0] as number);
    expect(acked[1]).toBeGreaterThan(before[1] as number);
    expect(a.cluster?.connected).toBe(false);
    // Only local presence while Redis is down.
    const probe = await session(a.port, "probe");
    probe.send("who");
    expect(await probe.listing()).toEqual(["probe", "wa"]);
    // A registration while the bus is down reaches B after the reconnect (B reloads accounts).
    const dave = await session(a.port, "dave");
    dave.send("register", "dave's password");
    expect(await dave.next()).toBe("ok");

    await redis.restart();
    await eventually(probe, "who", ["dave", "probe", "wa", "wb"]);
    expect(b.board.accounts.isRegistered("dave")).toBe(true);
    stop = true;
    await Promise.all(loops);
    // Every acknowledged post is there, in order, seen from either instance.
    const reader = await session(b.port, "reader");
    reader.send("list");
    const rows = await reader.listing(10_000);
    for (let w = 0; w < 2; w++) {
      const mine = rows.filter((r) => r.startsWith(`w${w === 0 ? "a" : "b"} w${w} `));
      expect(mine.length).toBeGreaterThanOrEqual((acked[w] as number) + 1);
      expect(mine).toEqual(
        Array.from({ length: mine.length }, (_, i) => `w${w === 0 ? "a" : "b"} w${w} #${i}`),
      );
    }
  }, 40_000);

  test("kill -9 of an instance loses no acknowledged post; its presence expires", async () => {
    const url = await freshDb();
    // The killed instance is a child process (the real CLI); the survivor runs in-process.
    const child: ServerProcess = await spawnServer("/nonexistent/unused.sqlite", [
      "--postgres",
      url,
      "--redis",
      redis.url,
      "--log-level",
      "warn",
    ]);
    cleanup.push(() => child.proc.kill(9));
    // The CLI uses the default key prefix, so the survivor does too (and reads presence with a
    // 1 s TTL of its own: an instance silent for 1 s counts as gone).
    const survivor = await instance(url, CLUSTER_DEFAULTS.prefix);
    const watcher = await session(survivor.port, "watcher");
    const writers = 10;
    const acked = new Array<number>(writers).fill(-1);
    let stop = false;
    const loops = Array.from({ length: writers }, async (_, w) => {
      const c = await RawClient.session(child.port, `k${w}`);
      try {
        for (let i = 0; !stop; i++) {
          c.send(`k${w} #${i}`, "unread");
          await c.next(3000);
          acked[w] = i;
        }
      } catch {
        // the instance was killed under us
      } finally {
        c.close();
      }
    });
    await eventually(
      watcher,
      "who",
      [...Array.from({ length: writers }, (_, w) => `k${w}`), "watcher"].sort(),
    );
    await Bun.sleep(300);
    child.proc.kill(9);
    expect(await child.proc.exited).not.toBe(0);
    stop = true;
    await Promise.all(loops);
    expect(acked.every((x) => x >= 0)).toBe(true);

    const reader = await session(survivor.port, "reader");
    reader.send("list");
    const rows = await reader.listing(10_000);
    for (let w = 0; w < writers; w++) {
      const mine = rows.filter((r) => r.startsWith(`k${w} `)).map((r) => r.slice(`k${w} `.length));
      expect(mine.length).toBeGreaterThanOrEqual((acked[w] as number) + 1);
      expect(mine).toEqual(Array.from({ length: mine.length }, (_, i) => `k${w} #${i}`));
    }
    // The dead instance's sessions leave `who` once it stops refreshing its presence.
    await eventually(watcher, "who", ["reader", "watcher"]);
  }, 60_000);

  // Last in the file: it stops the shared PostgreSQL (and restarts it).
  test("PostgreSQL stopped: writes refused with a clear error, nothing acknowledged and lost", async () => {
    const url = await freshDb();
    const a = await instance(url, "t4:");
    const ann = await session(a.port, "ann");
    ann.send("kept", "unread");
    expect(await ann.next()).toBe("0");
    const bob = await session(a.port, "bob");
    bob.send("unread");
    expect(await bob.next()).toBe("0");

    await pg.kill();
    // register has a reply: the error, and the session goes on.
    bob.send("register", "bob's password");
    expect(await bob.next(10_000)).toBe("error: storage unavailable");
    // A post has no reply in the protocol: the session ends with the error instead of pretending.
    ann.send("lost while down");
    expect(await ann.next(10_000)).toBe("error: storage unavailable");
    expect(await ann.waitClosed()).toBe(true);
    // The instance itself keeps running and accepting.
    expect(a.connectionCount).toBeGreaterThanOrEqual(1);

    await pg.restart();
    const again = await session(a.port, "ann");
    again.send("after restart", "list");
    expect(await again.listing(10_000)).toEqual(["ann kept", "ann after restart"]);
  }, 60_000);
});
