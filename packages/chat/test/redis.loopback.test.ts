// Two chat servers sharing one real redis-server (testkit) on loopback: messages, /msg, /who,
// names across instances, Redis killed and restarted mid-traffic, an instance killed with -9.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { join as joinPath } from "node:path";
import { freePort, haveRedis, startRedis, type TestRedis, waitForPort } from "@netkit/testkit";
import { type ChatServer, type ChatServerOptions, startChatServer } from "../src/server.ts";
import { LineClient } from "./helpers.ts";

const enabled = haveRedis();
const repoRoot = joinPath(import.meta.dir, "../../..");

let redis: TestRedis | undefined;
let servers: ChatServer[] = [];
let clients: LineClient[] = [];
let roomCounter = 0;
let room = "";

beforeAll(async () => {
  if (enabled) redis = await startRedis();
});

afterAll(async () => {
  await redis?.stop();
});

afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
});

function url(): string {
  if (!redis) throw new Error("no redis");
  return redis.url;
}

/** A server on the shared Redis, in this test's own room (so tests don't see each other). */
async function start(options: ChatServerOptions = {}, wait = true): Promise<ChatServer> {
  const server = await startChatServer({
    port: 0,
    floodBurst: 0,
    redis: { url: url(), room, nameTtlMs: 1500, reconnectMaxMs: 300 },
    ...options,
  });
  servers.push(server);
  if (wait) await server.redis?.waitConnected(5000);
  return server;
}

async function join(server: ChatServer, name: string): Promise<LineClient> {
  const client = await LineClient.join(server.port, name);
  clients.push(client);
  return client;
}

/** Collects lines matching `re` until `count` arrived (bounded). */
async function collect(client: LineClient, re: RegExp, count: number, timeoutMs = 10_000) {
  const got: string[] = [];
  while (got.length < count) got.push(await client.waitFor(re, timeoutMs));
  return got;
}

describe.if(enabled)("chat across two instances on Redis", () => {
  /** Each test uses its own room (keys and stream) on the shared Redis. */
  function freshRoom(): void {
    room = `t${process.pid}-${++roomCounter}`;
  }

  test("messages cross both ways, in order; join notices and /who span both", async () => {
    freshRoom();
    const a = await start();
    const b = await start();
    const ann = await join(a, "ann");
    const bob = await join(b, "bob");
    await ann.waitFor("* bob joined");
    for (let i = 0; i < 50; i++) ann.send(`a${i}`);
    for (let i = 0; i < 50; i++) bob.send(`b${i}`);
    expect(await collect(bob, /^ann: /, 50)).toEqual(
      Array.from({ length: 50 }, (_, i) => `ann: a${i}`),
    );
    expect(await collect(ann, /^bob: /, 50)).toEqual(
      Array.from({ length: 50 }, (_, i) => `bob: b${i}`),
    );
    ann.send("/who");
    expect(await ann.waitFor(/^\* \d+ here: /)).toBe("* 2 here: ann, bob");
    bob.send("/who");
    expect(await bob.waitFor(/^\* \d+ here: /)).toBe("* 2 here: bob, ann");
    bob.send("/me waves");
    expect(await ann.waitFor(/waves/)).toBe("* bob waves");
    bob.send("/nick rob");
    expect(await ann.waitFor(/known as/)).toBe("* bob is now known as rob");
    bob.close();
    expect(await ann.waitFor(/left/)).toBe("* rob left");
  });

  test("/msg reaches a user on the other instance; unknown names are refused", async () => {
    freshRoom();
    const a = await start();
    const b = await start();
    const ann = await join(a, "ann");
    const bob = await join(b, "bob");
    ann.send("/msg BOB psst");
    expect(await ann.waitFor(/^\[private to/)).toBe("[private to bob] psst");
    expect(await bob.waitFor(/^\[private\]/)).toBe("[private] ann: psst");
    bob.send("/msg ann back");
    expect(await ann.waitFor(/^\[private\]/)).toBe("[private] bob: back");
    ann.send("/msg zed hi");
    expect(await ann.waitFor(/^error/)).toMatch(/^error NO_SUCH_USER: /);
  });

  test("a name taken on one instance is refused on the other (any case), free after leaving", async () => {
    freshRoom();
    const a = await start();
    const b = await start();
    const ann = await join(a, "ann");
    const other = await LineClient.open(b.port);
    clients.push(other);
    await other.waitFor(/What is your name\?$/);
    other.send("ANN");
    expect(await other.waitFor(/^error/)).toBe(
      'error NAME_TAKEN: the name "ANN" is already in use',
    );
    await other.waitFor("* What is your name?");
    // /nick to a name held elsewhere is refused too
    const bob = await join(b, "bob");
    bob.send("/nick Ann");
    expect(await bob.waitFor(/^error/)).toMatch(/^error NAME_TAKEN/);
    ann.send("/quit");
    await ann.waitForEnd();
    await bob.waitFor("* ann left");
    other.send("ANN");
    await other.waitFor(/^\* Welcome, ANN!/);
  });

  test("history for a newcomer comes from the stream (said on the other instance)", async () => {
    freshRoom();
    const a = await start();
    const ann = await join(a, "ann");
    ann.send("first");
    ann.send("/me smiles");
    ann.send("second");
    await Bun.sleep(50);
    await a.redis?.waitConnected();
    // a new instance that was not running when these were said
    const b = await start();
    const cy = await LineClient.open(b.port);
    clients.push(cy);
    await cy.waitFor(/What is your name\?$/);
    cy.send("cy");
    await cy.waitFor(/^\* The last 3 messages:/);
    expect((await cy.next()).replace(/^\[history [\d:]+\] /, "")).toBe("ann: first");
    expect((await cy.next()).replace(/^\[history [\d:]+\] /, "")).toBe("* ann smiles");
    expect((await cy.next()).replace(/^\[history [\d:]+\] /, "")).toBe("ann: second");
  });

  test("Redis killed and restarted mid-traffic: local clients keep chatting, then everything crosses, once", async () => {
    freshRoom();
    const events: string[] = [];
    const a = await start({ log: (e) => events.push(`a ${e.event}`) });
    const b = await start({ log: (e) => events.push(`b ${e.event}`) });
    const ann = await join(a, "ann");
    const amy = await join(a, "amy");
    const bob = await join(b, "bob");
    await ann.waitFor("* bob joined");
    await amy.waitFor("* bob joined");
    ann.send("before");
    await bob.waitFor("ann: before");

    await redis?.kill();
    // Both instances keep serving their own clients while Redis is down.
    for (let i = 0; i < 20; i++) ann.send(`during ${i}`);
    for (let i = 0; i < 20; i++) bob.send(`b-during ${i}`);
    expect(await collect(amy, /^ann: during/, 20)).toEqual(
      Array.from({ length: 20 }, (_, i) => `ann: during ${i}`),
    );
    bob.send("/who");
    expect(await bob.waitFor(/^\* \d+ here/)).toMatch(/^\* 1 here: bob \(other servers/);
    await Bun.sleep(200);
    expect(a.redis?.connected).toBe(false);

    await redis?.restart();
    await a.redis?.waitConnected(10_000);
    await b.redis?.waitConnected(10_000);
    for (let i = 0; i < 20; i++) ann.send(`after ${i}`);
    bob.send("bob after");

    // bob gets everything ann said during the outage and after, in order, exactly once
    const fromAnn = await collect(bob, /^ann: /, 40);
    expect(fromAnn).toEqual([
      ...Array.from({ length: 20 }, (_, i) => `ann: during ${i}`),
      ...Array.from({ length: 20 }, (_, i) => `ann: after ${i}`),
    ]);
    const fromBob = await collect(amy, /^bob: /, 21);
    expect(fromBob).toEqual([
      ...Array.from({ length: 20 }, (_, i) => `bob: b-during ${i}`),
      "bob: bob after",
    ]);
    // no duplicates afterwards: a marker arrives next, nothing from ann/bob repeated before it
    ann.send("marker");
    const rest: string[] = [];
    for (;;) {
      const line = await bob.next();
      if (line === "ann: marker") break;
      rest.push(line);
    }
    expect(rest.filter((l) => /^ann: /.test(l))).toEqual([]);
    // names were re-claimed after the restart (Redis lost them: no persistence)
    const other = await LineClient.open(b.port);
    clients.push(other);
    await other.waitFor(/What is your name\?$/);
    other.send("amy");
    expect(await other.waitFor(/^error/)).toMatch(/^error NAME_TAKEN/);
    // /who spans both again
    bob.send("/who");
    expect(await bob.waitFor(/^\* \d+ here/)).toBe("* 3 here: bob, amy, ann");
    // the outage was logged once per instance, and so was the recovery
    const redisEvents = events.filter((e) => / chat\.redis_(down|up)$/.test(e));
    expect(redisEvents.sort()).toEqual([
      "a chat.redis_down",
      "a chat.redis_up",
      "b chat.redis_down",
      "b chat.redis_up",
    ]);
  }, 30_000);

  test("a name given on both sides during an outage: the first to reclaim keeps it, the other is renamed", async () => {
    freshRoom();
    const a = await start();
    const b = await start();
    const keep = await join(a, "x"); // keeps both instances in the test busy
    await redis?.kill();
    await Bun.sleep(100);
    const zoeA = await join(a, "zoe");
    const zoeB = await join(b, "zoe");
    await redis?.restart();
    await a.redis?.waitConnected(10_000);
    await b.redis?.waitConnected(10_000);
    // one of them is renamed within a heartbeat or two
    const renamed = await Promise.race([
      zoeA.waitFor(/^error NAME_TAKEN/, 8000).then(() => "a"),
      zoeB.waitFor(/^error NAME_TAKEN/, 8000).then(() => "b"),
    ]);
    const loser = renamed === "a" ? zoeA : zoeB;
    expect(await loser.waitFor(/known as/)).toBe("* zoe is now known as zoe_2");
    keep.send("/who");
    const who = await keep.waitFor(/^\* \d+ here/);
    expect(who).toContain("zoe_2");
    expect(who.split(/[:,] /).filter((n) => n === "zoe")).toHaveLength(1);
  }, 30_000);

  test("kill -9 of an instance process: its names expire and can be taken on the other", async () => {
    freshRoom();
    const port = await freePort();
    const child = Bun.spawn(
      [
        process.execPath,
        "run",
        joinPath(repoRoot, "apps/cli"),
        "chat",
        "--port",
        String(port),
        "--redis",
        url(),
        "--room",
        room,
        "--name-ttl-ms",
        "1500",
        "--log-level",
        "warn",
      ],
      { stdout: "ignore", stderr: "pipe", cwd: repoRoot },
    );
    try {
      await waitForPort(port, 10_000);
      const b = await start();
      const carl = await LineClient.join(port, "carl");
      clients.push(carl);
      const bob = await join(b, "bob");
      carl.send("hello from the child");
      expect(await bob.waitFor(/^carl: /)).toBe("carl: hello from the child");
      const other = await LineClient.open(b.port);
      clients.push(other);
      await other.waitFor(/What is your name\?$/);
      other.send("carl");
      expect(await other.waitFor(/^error/)).toMatch(/^error NAME_TAKEN/);
      await other.waitFor("* What is your name?");

      child.kill(9);
      await child.exited;
      // within the TTL (1.5 s) plus a margin, "carl" is free again on b
      const deadline = performance.now() + 8000;
      let joined = false;
      while (!joined && performance.now() < deadline) {
        await Bun.sleep(300);
        other.send("carl");
        const reply = await other.waitFor(/^(error|\* Welcome)/);
        joined = reply.startsWith("* Welcome, carl!");
        if (!joined) await other.waitFor("* What is your name?");
      }
      expect(joined).toBe(true);
      bob.send("/who");
      expect(await bob.waitFor(/^\* \d+ here/)).toBe("* 2 here: bob, carl");
    } finally {
      child.kill(9);
      await child.exited;
    }
  }, 30_000);
});
