// Several chat instances sharing a real PostgreSQL (initdb in a temp dir) and a real redis-server:
// messages cross in both directions, long polls wake across instances, ids stay monotonic, and
// the instances ride out Redis and PostgreSQL outages.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  havePostgres,
  haveRedis,
  startPostgres,
  startRedis,
  type TestPostgres,
  type TestRedis,
} from "@netkit/testkit";
import { connectWebSocket, type WebSocketSession } from "@netkit/websocket";
import {
  type ChatMessage,
  startWebChatServer,
  WebChatError,
  type WebChatServer,
  type WebChatServerOptions,
} from "../src/index.ts";

const enabled = havePostgres() && haveRedis();
const it = enabled ? test : test.skip;

let pg: TestPostgres | undefined;
let redis: TestRedis | undefined;
let dbCount = 0;
const running: WebChatServer[] = [];

beforeAll(async () => {
  if (!enabled) return;
  [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([pg?.stop(), redis?.stop()]);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

/** Two instances on a fresh database, each on its own channel name so tests don't mix. */
async function pair(
  extra: Partial<WebChatServerOptions> = {},
): Promise<[WebChatServer, WebChatServer]> {
  dbCount += 1;
  const postgresUrl = await (pg as TestPostgres).createDatabase(`chat_${dbCount}`);
  const options: WebChatServerOptions = {
    port: 0,
    postgresUrl,
    redisUrl: (redis as TestRedis).url,
    redisChannel: `test:${dbCount}`,
    postsPerSecond: 0, // load from one address, by design
    ...extra,
  };
  const a = await startWebChatServer(options);
  running.push(a);
  const b = await startWebChatServer(options);
  running.push(b);
  return [a, b];
}

const base = (s: WebChatServer) => `http://127.0.0.1:${s.port}`;

async function post(s: WebChatServer, text: string): Promise<Response> {
  return fetch(`${base(s)}/chat`, {
    method: "POST",
    body: JSON.stringify({ text, name: "t" }),
    signal: AbortSignal.timeout(10_000),
  });
}

async function postOk(s: WebChatServer, text: string): Promise<number> {
  const res = await post(s, text);
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: number }).id;
}

async function messages(s: WebChatServer, since = 0, wait = 0): Promise<ChatMessage[]> {
  const res = await fetch(`${base(s)}/messages?since=${since}&wait=${wait}`, {
    signal: AbortSignal.timeout((wait + 10) * 1000),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as ChatMessage[];
}

/** Every message after `since`, following pages of 100. */
async function allMessages(s: WebChatServer, since = 0): Promise<ChatMessage[]> {
  const out: ChatMessage[] = [];
  for (;;) {
    const page = await messages(s, out.at(-1)?.id ?? since);
    if (page.length === 0) return out;
    out.push(...page);
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(25);
  }
}

it("a message posted on one instance is read on the other, in both directions", async () => {
  const [a, b] = await pair();
  const first = await postOk(a, "from A");
  const second = await postOk(b, "from B");
  expect(second).toBeGreaterThan(first);
  for (const s of [a, b]) {
    expect((await messages(s)).map((m) => [m.id, m.text])).toEqual([
      [first, "from A"],
      [second, "from B"],
    ]);
  }
}, 30_000);

it("a long poll on one instance is woken through Redis by a POST on the other", async () => {
  // Re-checks every 60 s: within this test only a Redis announcement can wake the poll.
  const [a, b] = await pair({ recheckMs: 60_000 });
  await until("both buses connected", () => !!a.bus?.connected && !!b.bus?.connected);
  for (const [from, to] of [
    [a, b],
    [b, a],
  ] as const) {
    const latest = await to.store.latestId();
    const poll = messages(to, latest, 20);
    await Bun.sleep(100); // the poll is waiting
    const id = await postOk(from, `to ${to.port}`);
    const woken = await Promise.race([
      poll,
      Bun.sleep(5000).then(() => "not woken within 5 s" as const),
    ]);
    expect(woken).not.toBe("not woken within 5 s");
    expect((woken as ChatMessage[]).map((m) => m.id)).toEqual([id]);
  }
}, 30_000);

it("ids stay unique and increasing across instances, and a reader following since= misses none", async () => {
  const [a, b] = await pair();
  const acked: number[] = [];
  let done = false;
  // A reader on B follows the stream with long polls while both instances take writes.
  const seen: number[] = [];
  const follower = (async () => {
    let since = 0;
    while (!done || since < Math.max(0, ...acked)) {
      const page = await messages(b, since, 1);
      for (const m of page) seen.push(m.id);
      since = page.at(-1)?.id ?? since;
    }
  })();
  const writers = [a, b].map(async (s, w) => {
    for (let round = 0; round < 10; round++) {
      const ids = await Promise.all(
        Array.from({ length: 20 }, (_, i) => postOk(s, `w${w} r${round} m${i}`)),
      );
      acked.push(...ids);
    }
  });
  await Promise.all(writers);
  done = true;
  await follower;
  const stored = (await allMessages(a)).map((m) => m.id);
  expect(new Set(acked).size).toBe(400);
  expect([...acked].sort((x, y) => x - y)).toEqual(stored);
  for (let i = 1; i < stored.length; i++)
    expect(stored[i]).toBeGreaterThan(stored[i - 1] as number);
  expect(seen).toEqual(stored); // in order, no gap, no duplicate
  expect((await allMessages(b)).map((m) => m.id)).toEqual(stored);
}, 60_000);

it("WebSocket: every message posted on either instance (HTTP or socket) reaches sockets on both, once and in id order, through Redis alone", async () => {
  // Re-checks every 60 s: within this test only Redis carries a message to the other instance.
  const [a, b] = await pair({ recheckMs: 60_000 });
  await until("both buses connected", () => !!a.bus?.connected && !!b.bus?.connected);
  const [onA, onB] = await Promise.all(
    [a, b].map((s) => connectWebSocket(`ws://127.0.0.1:${s.port}/ws?since=0`)),
  );
  const sockets = [onA, onB] as WebSocketSession[];
  const seen: number[][] = [[], []];
  const acks: number[] = [];
  sockets.forEach((socket, i) => {
    void (async () => {
      for await (const data of socket) {
        const frame = JSON.parse(data as string) as { id?: number; posted?: number };
        if (frame.id !== undefined) seen[i]?.push(frame.id);
        if (frame.posted !== undefined) acks.push(frame.posted);
      }
    })();
  });
  // One message first, timed: B's socket gets A's post at once (no 60 s re-check involved).
  const started = performance.now();
  const first = await postOk(a, "from A over HTTP");
  await until("B's socket has it", () => seen[1]?.includes(first) ?? false, 2000);
  const crossMs = performance.now() - started;
  // Then 200 posts at once, split over both instances and both ways of posting.
  const posts: Promise<unknown>[] = [];
  for (let i = 0; i < 50; i++) {
    posts.push(postOk(a, `http A ${i}`), postOk(b, `http B ${i}`));
    onA?.send(JSON.stringify({ text: `ws A ${i}` }));
    onB?.send(JSON.stringify({ text: `ws B ${i}` }));
  }
  await Promise.all(posts);
  await until("every socket post acknowledged", () => acks.length === 100);
  const total = 201;
  await until(
    "both sockets have all",
    () => seen[0]?.length === total && seen[1]?.length === total,
  );
  const expected = Array.from({ length: total }, (_, i) => i + 1);
  expect(seen[0]).toEqual(expected);
  expect(seen[1]).toEqual(expected);
  expect((await allMessages(b)).map((m) => m.id)).toEqual(expected);
  expect(crossMs).toBeLessThan(1000);
  for (const socket of sockets) socket.close(1000);
  await Promise.all(sockets.map((socket) => socket.closed));
}, 30_000);

it("Redis killed and restarted mid-traffic: both keep serving, cross-instance wakeups resume", async () => {
  const [a, b] = await pair({ recheckMs: 60_000 });
  await until("both buses connected", () => !!a.bus?.connected && !!b.bus?.connected);
  const r = redis as TestRedis;
  // Traffic on both instances all along: every POST must be acknowledged, Redis or not.
  let stop = false;
  const acked: number[] = [];
  const traffic = [a, b].map(async (s, w) => {
    for (let i = 0; !stop; i++) {
      acked.push(await postOk(s, `traffic ${w}.${i}`));
      await Bun.sleep(5);
    }
  });
  await Bun.sleep(100);
  await r.kill();
  await until("both buses notice", () => !a.bus?.connected && !b.bus?.connected);
  // Without Redis every instance still takes writes and serves reads from the shared store.
  const during = [await postOk(a, "while Redis is down (A)"), await postOk(b, "(B)")];
  const seenOnB = (await allMessages(b)).map((m) => m.id);
  expect(seenOnB).toEqual(expect.arrayContaining(during));
  await Bun.sleep(100);
  await r.restart();
  await until("both buses reconnect", () => !!a.bus?.connected && !!b.bus?.connected, 15_000);
  await Bun.sleep(100);
  stop = true;
  await Promise.all(traffic);
  const stored = (await allMessages(a)).map((m) => m.id);
  expect(stored).toEqual([...acked, ...during].sort((x, y) => x - y));
  expect((await allMessages(b)).map((m) => m.id)).toEqual(stored);
  const latest = await b.store.latestId();
  const poll = messages(b, latest, 20);
  await Bun.sleep(100);
  const id = await postOk(a, "after Redis is back");
  const woken = await Promise.race([poll, Bun.sleep(5000).then(() => "timeout" as const)]);
  expect(woken).not.toBe("timeout");
  expect((woken as ChatMessage[]).map((m) => m.id)).toEqual([id]);
}, 60_000);

it("without Redis, long polls still wake through the periodic store re-check", async () => {
  // A Redis URL where nothing listens: the bus keeps retrying, the instances serve anyway.
  const [a, b] = await pair({ redisUrl: "redis://127.0.0.1:1", recheckMs: 200 });
  expect(a.bus?.connected).toBe(false);
  const poll = messages(b, 0, 20);
  await Bun.sleep(100);
  const id = await postOk(a, "found by the re-check");
  const woken = await Promise.race([poll, Bun.sleep(5000).then(() => "timeout" as const)]);
  expect(woken).not.toBe("timeout");
  expect((woken as ChatMessage[]).map((m) => m.id)).toEqual([id]);
}, 30_000);

it("without Redis, sockets still get the other instance's messages through the periodic re-check, in order", async () => {
  const [a, b] = await pair({ redisUrl: "redis://127.0.0.1:1", recheckMs: 200 });
  expect(a.bus?.connected).toBe(false);
  const socket = await connectWebSocket(`ws://127.0.0.1:${b.port}/ws?since=0`);
  const ids: number[] = [];
  for (let i = 0; i < 5; i++) ids.push(await postOk(a, `re-check ${i}`));
  const got: number[] = [];
  while (got.length < ids.length) {
    const frame = await Promise.race([socket.next(), Bun.sleep(5000).then(() => "timeout")]);
    expect(frame).not.toBe("timeout");
    got.push((JSON.parse(frame as string) as ChatMessage).id);
  }
  expect(got).toEqual(ids);
  socket.close(1000);
  await socket.closed;
}, 30_000);

it("PostgreSQL down: POST and GET answer 503 with a JSON error; back up: it works again", async () => {
  const [a, b] = await pair();
  const before = await postOk(a, "before the outage");
  const db = pg as TestPostgres;
  await db.kill();
  try {
    const refused = await post(a, "during the outage");
    expect(refused.status).toBe(503);
    expect(refused.headers.get("content-type")).toContain("application/json");
    const body = (await refused.json()) as { error: string; code: string };
    expect(body.code).toBe("STORAGE_UNAVAILABLE");
    expect(body.error).toContain("storage unavailable");
    const read = await fetch(`${base(b)}/messages?since=0`);
    expect(read.status).toBe(503);
    expect(((await read.json()) as { code: string }).code).toBe("STORAGE_UNAVAILABLE");
  } finally {
    await db.restart();
  }
  const after = await postOk(b, "after the outage");
  expect(after).toBeGreaterThan(before);
  // The refused message was never acknowledged; whatever was acknowledged is there.
  const texts = (await messages(a)).map((m) => m.text);
  expect(texts).toContain("before the outage");
  expect(texts).toContain("after the outage");
}, 60_000);

it("an instance cannot start while PostgreSQL is unreachable, and --redis needs --postgres", async () => {
  const noPg = startWebChatServer({ port: 0, postgresUrl: "postgres://postgres@127.0.0.1:1/x" });
  await expect(noPg).rejects.toBeInstanceOf(WebChatError);
  await expect(noPg).rejects.toMatchObject({ code: "STORAGE_UNAVAILABLE" });
  const noDb = startWebChatServer({ port: 0, redisUrl: "redis://127.0.0.1:1" });
  await expect(noDb).rejects.toMatchObject({ code: "BAD_OPTIONS" });
}, 30_000);

it("an idempotency key holds across instances and inside one group commit: each post stored once", async () => {
  const [a, b] = await pair();
  const send = (s: WebChatServer, key: string, text: string) =>
    fetch(`${base(s)}/chat`, {
      method: "POST",
      headers: { "idempotency-key": key },
      body: JSON.stringify({ text, name: "t" }),
      signal: AbortSignal.timeout(10_000),
    }).then(async (res) => {
      expect(res.status).toBe(201);
      return ((await res.json()) as { id: number }).id;
    });
  const first = await send(a, "resend-1", "hello");
  // The answer was lost; the page resends through another instance.
  expect(await send(b, "resend-1", "hello")).toBe(first);
  // Twenty copies of one key at once, on both instances: one group commit may hold several.
  const ids = await Promise.all(
    Array.from({ length: 20 }, (_, i) => send(i % 2 ? a : b, "burst-key", "burst")),
  );
  expect(new Set(ids).size).toBe(1);
  const other = await send(a, "resend-2", "second");
  const listed = (await (await fetch(`${base(b)}/messages?since=0`)).json()) as ChatMessage[];
  expect(listed.map((m) => [m.id, m.text])).toEqual([
    [first, "hello"],
    [ids[0] as number, "burst"],
    [other, "second"],
  ]);
});

it("a burst of concurrent POSTs is committed in batches (group commit)", async () => {
  // 200 fetches at once open 200 connections from one address: past the default per-address cap.
  const [a] = await pair({ maxConnectionsPerAddress: 0 });
  const ids = await Promise.all(Array.from({ length: 200 }, (_, i) => postOk(a, `burst ${i}`)));
  expect(new Set(ids).size).toBe(200);
  const stats = (a.store as unknown as { stats: { commits: number; maxBatch: number } }).stats;
  expect(stats.maxBatch).toBeGreaterThan(1);
  expect(stats.commits).toBeLessThan(200);
}, 30_000);

test("instances on one SQLite file share the history and wake each other through the re-check", async () => {
  const dir = mkdtempSync(join(tmpdir(), "httpchat-shared-"));
  try {
    const options = { port: 0, dbPath: join(dir, "chat.sqlite"), recheckMs: 200 };
    const a = await startWebChatServer(options);
    running.push(a);
    const b = await startWebChatServer(options);
    running.push(b);
    const poll = messages(b, 0, 20);
    await Bun.sleep(100);
    const id = await postOk(a, "on one file");
    const woken = await Promise.race([poll, Bun.sleep(5000).then(() => "timeout" as const)]);
    expect(woken).not.toBe("timeout");
    expect((woken as ChatMessage[]).map((m) => m.id)).toEqual([id]);
    expect(await postOk(b, "from B")).toBe(id + 1);
  } finally {
    await Promise.all(running.splice(0).map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);
