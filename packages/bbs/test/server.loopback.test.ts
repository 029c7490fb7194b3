// The server over real sockets, driven by a raw framed client written in the test.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { LogEvent } from "@netkit/framing";
import { type BbsServer, startBbsServer } from "../src/index.ts";
import { FAST_ARGON2, RawClient } from "./helpers.ts";

let server: BbsServer;
let events: LogEvent[];
const clients: RawClient[] = [];

async function open(name: string): Promise<RawClient> {
  const c = await RawClient.session(server.port, name);
  clients.push(c);
  return c;
}

beforeEach(async () => {
  events = [];
  server = await startBbsServer({
    port: 0,
    dbPath: ":memory:",
    ...FAST_ARGON2,
    log: (e) => events.push(e),
  });
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server.stop();
});

describe("seed protocol on the wire", () => {
  test("banner, posts, list, dm, listdm, listdms, quit", async () => {
    const ann = await open("ann");
    const bob = await open("bob");
    ann.send("first post", "who");
    await ann.listing(); // a reply to the next command: the post before it is stored
    bob.send("second post", "who");
    await bob.listing();
    ann.send("dm", "bob", "hi bob");
    ann.send("dm", "bob", "again");
    ann.send("list");
    expect(await ann.listing()).toEqual(["ann first post", "bob second post"]);
    bob.send("listdm");
    expect(await bob.listing()).toEqual(["ann hi bob", "ann again"]);
    bob.send("listdms");
    expect(await bob.listing()).toEqual(["ann hi bob", "ann again"]);
    ann.send("listdm");
    expect(await ann.listing()).toEqual([]);
    ann.send("quit");
    expect(await ann.waitClosed()).toBe(true);
    expect(ann.pending).toBe(0);
  });

  test("frames split byte by byte and many frames in one write are both handled", async () => {
    const c = await RawClient.connect(server.port);
    clients.push(c);
    expect(await c.next()).toBe("BBS Server 1.2");
    const bytes = new Uint8Array([
      ...frameBytes("zoe"),
      ...frameBytes("one"),
      ...frameBytes("two"),
      ...frameBytes("list"),
    ]);
    for (const b of bytes.subarray(0, 20)) {
      c.sendRaw(Uint8Array.of(b));
      await Bun.sleep(0);
    }
    c.sendRaw(bytes.subarray(20));
    expect(await c.listing()).toEqual(["zoe one", "zoe two"]);
  });

  test("a post is visible to every other session once the poster's next command runs", async () => {
    const writers = await Promise.all(["w1", "w2", "w3"].map(open));
    for (const [i, w] of writers.entries()) {
      w.send(`post ${i}`);
      w.send("who");
    }
    for (const w of writers) expect(await w.listing()).toEqual(["w1", "w2", "w3"]);
    const reader = await open("reader");
    reader.send("list");
    expect((await reader.listing()).sort()).toEqual(["w1 post 0", "w2 post 1", "w3 post 2"]);
  });
});

describe("extensions on the wire", () => {
  test("register, login from a second connection, since, dmsince, unread, who", async () => {
    const bob = await open("bob");
    bob.send("register", "bob's password");
    expect(await bob.next()).toBe("ok");
    const ann = await open("ann");
    ann.send("dm", "bob", "private", "hello", "since", "0");
    const rows = await ann.listing();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/^1 \d{4}-\d\d-\d\dT[\d:.]+Z ann hello$/);

    const bob2 = await open("bob");
    bob2.send("listdm");
    expect(await bob2.next()).toBe("error: login required");
    bob2.send("login", "bob's password");
    expect(await bob2.next()).toBe("ok");
    bob2.send("unread");
    expect(await bob2.next()).toBe("1");
    bob2.send("dmsince", "0");
    expect((await bob2.listing())[0]).toMatch(/^1 \S+ ann private$/);
    bob2.send("unread", "who");
    expect(await bob2.next()).toBe("0");
    expect(await bob2.listing()).toEqual(["ann", "bob"]);
  });
});

describe("privacy", () => {
  test("a second connection under a registered name without login reads and writes nothing", async () => {
    const owner = await open("alice");
    owner.send("register", "alice's secret");
    expect(await owner.next()).toBe("ok");
    const friend = await open("fred");
    friend.send("dm", "alice", "the code is 1234", "list");
    expect(await friend.listing()).toEqual([]);

    const thief = await open("alice");
    thief.send("listdm");
    expect(await thief.next()).toBe("error: login required");
    thief.send("listdms");
    expect(await thief.next()).toBe("error: login required");
    thief.send("dm", "fred", "send me money");
    expect(await thief.next()).toBe("error: login required");
    thief.send("i am alice");
    expect(await thief.next()).toBe("error: login required");
    thief.send("list");
    expect(await thief.listing()).toEqual([]);
    friend.send("listdm");
    expect(await friend.listing()).toEqual([]);
    owner.send("listdm");
    expect(await owner.listing()).toEqual(["fred the code is 1234"]);
  });

  test("failed logins are throttled per address across names", async () => {
    const ids = Array.from({ length: 5 }, (_, i) => `u${i}`);
    for (const id of ids) {
      const o = await open(id);
      o.send("register", `${id} password!`);
      expect(await o.next()).toBe("ok");
    }
    const replies: string[] = [];
    for (const id of ids) {
      const t = await open(id);
      for (let i = 0; i < 5; i++) {
        t.send("login", `guess ${i}`);
        replies.push(await t.next());
      }
    }
    // 20 failures per address are allowed in the window; the rest are refused unchecked
    expect(replies.filter((r) => r === "error: wrong password")).toHaveLength(20);
    expect(replies.slice(20).every((r) => r.startsWith("error: too many failed logins"))).toBe(
      true,
    );
  });
});

describe("bad input", () => {
  test("an invalid username gets an error frame and the connection closes", async () => {
    const c = await RawClient.connect(server.port);
    clients.push(c);
    await c.next();
    c.send("has space");
    expect(await c.next()).toBe("error: invalid username: username contains U+0020 SPACE at 3");
    expect(await c.waitClosed()).toBe(true);
  });

  test("a frame over the framing limit closes the connection; nothing is stored", async () => {
    const c = await open("big");
    const header = new Uint8Array(4);
    new DataView(header.buffer).setUint32(0, 64 * 1024 + 1);
    c.sendRaw(header);
    c.sendRaw(new Uint8Array(1000));
    expect(await c.waitClosed()).toBe(true);
    const other = await open("other");
    other.send("list");
    expect(await other.listing()).toEqual([]);
  });

  test("an oversized post (under the frame limit) is refused and logged, the session goes on", async () => {
    const c = await open("ann");
    c.send("z".repeat(5000), "ok post", "list");
    expect(await c.listing()).toEqual(["ann ok post"]);
    expect(events.some((e) => e.event === "refused" && e.what === "post")).toBe(true);
  });

  test("a peer that closes mid-frame or mid-dm leaves the server working", async () => {
    const a = await open("a");
    a.sendRaw(Uint8Array.of(0, 0, 0, 10, 65, 66));
    a.close();
    const b = await open("b");
    b.send("dm", "c");
    b.close();
    const d = await open("d");
    d.send("still fine", "list");
    expect(await d.listing()).toEqual(["d still fine"]);
  });

  test("seeded random garbage never crashes the server or reaches storage as a post from a bad name", async () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    try {
      for (let i = 0; i < 30; i++) {
        const c = await RawClient.connect(server.port);
        clients.push(c);
        await c.next();
        const junk = new Uint8Array(1 + Math.floor(rand() * 300));
        for (let j = 0; j < junk.length; j++) junk[j] = Math.floor(rand() * 256);
        if (rand() < 0.5) junk.set([0, 0, 0, junk.length > 4 ? Math.min(junk.length - 4, 200) : 0]);
        c.sendRaw(junk);
        c.close();
      }
      const ok = await open("probe");
      ok.send("list");
      const rows = await ok.listing();
      for (const row of rows) expect(row.split(" ")[0]?.length).toBeLessThanOrEqual(32);
    } catch (error) {
      console.error("garbage test failed with seed 12345");
      throw error;
    }
  });
});

describe("limits", () => {
  test("past maxConnections a peer gets `error: server full` and is closed; the others go on", async () => {
    const small = await startBbsServer({ port: 0, dbPath: ":memory:", maxConnections: 2 });
    try {
      const a = await RawClient.session(small.port, "a");
      const b = await RawClient.session(small.port, "b");
      clients.push(a, b);
      const c = await RawClient.connect(small.port);
      clients.push(c);
      expect(await c.next()).toBe("error: server full");
      expect(await c.waitClosed()).toBe(true);
      a.send("who");
      expect(await a.listing()).toEqual(["a", "b"]);
    } finally {
      await small.stop();
    }
  });

  test("an idle session is closed after idleTimeoutMs", async () => {
    const quick = await startBbsServer({ port: 0, dbPath: ":memory:", idleTimeoutMs: 200 });
    try {
      const a = await RawClient.session(quick.port, "sleepy");
      clients.push(a);
      expect(await a.waitClosed(5000)).toBe(true);
    } finally {
      await quick.stop();
    }
  });
});

describe("slow and stalled readers", () => {
  test("a client that never reads a long listing is disconnected; others are served meanwhile", async () => {
    const server2 = await startBbsServer({
      port: 0,
      dbPath: ":memory:",
      stallTimeoutMs: 300,
      maxQueuedBytes: 256 * 1024,
    });
    try {
      const body = "p".repeat(3000);
      await Promise.all(Array.from({ length: 2000 }, () => server2.store.addPost("filler", body)));
      const stalled = await RawClient.session(server2.port, "stalled");
      clients.push(stalled);
      stalled.socket.pause();
      stalled.send("list");
      const quick = await RawClient.session(server2.port, "quick");
      clients.push(quick);
      quick.send("who");
      expect(await quick.listing()).toEqual(["quick", "stalled"]);
      // the stalled reader is dropped after stallTimeoutMs; 6 MB never piled up in memory
      for (let i = 0; i < 100 && server2.connectionCount > 1; i++) await Bun.sleep(50);
      expect(server2.connectionCount).toBe(1);
      quick.send("who");
      expect(await quick.listing()).toEqual(["quick"]);
    } finally {
      await server2.stop();
    }
  });
});

describe("input held behind a commit", () => {
  test("5,000 posts in one write with a small input bound: reading pauses and resumes, all stored in order", async () => {
    const server2 = await startBbsServer({ port: 0, dbPath: ":memory:", maxHeldInputBytes: 4096 });
    try {
      const c = await RawClient.session(server2.port, "flood");
      clients.push(c);
      const bytes = Array.from({ length: 5000 }, (_, i) => frameBytes(`flood post ${i}`)).flat();
      c.sendRaw(Uint8Array.from([...bytes, ...frameBytes("unread")]));
      expect(await c.next(10_000)).toBe("0");
      const rows = server2.store.posts(0, 10_000, 10_000) as { body: string }[];
      expect(rows.map((r) => r.body)).toEqual(
        Array.from({ length: 5000 }, (_, i) => `flood post ${i}`),
      );
    } finally {
      await server2.stop();
    }
  });

  test("a peer that half-closes right after its commands still gets every reply", async () => {
    const c = await open("half");
    c.send("one", "two", "list");
    c.socket.shutdown();
    expect(await c.listing()).toEqual(["half one", "half two"]);
    expect(await c.waitClosed()).toBe(true);
  });
});

function frameBytes(s: string): number[] {
  const b = new TextEncoder().encode(s);
  return [0, 0, (b.length >> 8) & 255, b.length & 255, ...b];
}
