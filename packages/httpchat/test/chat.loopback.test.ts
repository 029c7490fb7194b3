// The chat app over our HTTP server on loopback: validation, paging, long polling, assets, persistence.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ChatMessage, startWebChatServer, type WebChatServer } from "../src/index.ts";

let dir = "";
let chat: WebChatServer | undefined;
let base = "";

async function start(): Promise<void> {
  // postsPerSecond: 0: these tests post hundreds of messages from one address; the limit has its own test
  chat = await startWebChatServer({
    port: 0,
    dbPath: join(dir, "nested", "chat.sqlite"),
    postsPerSecond: 0,
  });
  base = `http://127.0.0.1:${chat.port}`;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "httpchat-"));
  await start();
});
afterEach(async () => {
  await chat?.stop();
  chat = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const post = (body: string) => fetch(`${base}/chat`, { method: "POST", body });

test("POST /chat stores a message and returns 201 with its id", async () => {
  const res = await post('{"text":"Hello World!"}');
  expect(res.status).toBe(201);
  expect(await res.json()).toEqual({ id: 1 });
  const named = await post(JSON.stringify({ text: "hi", name: "ann" }));
  expect(await named.json()).toEqual({ id: 2 });
  const list = await fetch(`${base}/messages?since=0`);
  expect(list.headers.get("cache-control")).toBe("no-store");
  const messages = (await list.json()) as ChatMessage[];
  expect(messages.map((m: { name: string; text: string }) => [m.name, m.text])).toEqual([
    ["anonymous", "Hello World!"],
    ["ann", "hi"],
  ]);
  expect(messages[0]?.time).toMatch(/^\d{4}-\d\d-\d\dT/);
});

test.each([
  ["invalid JSON", "{nope"],
  ["a JSON array", "[1]"],
  ["a missing text", '{"name":"x"}'],
  ["an empty text", '{"text":"  "}'],
  ["a non-string text", '{"text":5}'],
  ["text over 2000 code points", JSON.stringify({ text: "😀".repeat(2001) })],
])("POST /chat with %s → 400 with a JSON error", async (_, body) => {
  const res = await post(body);
  expect(res.status).toBe(400);
  expect(res.headers.get("content-type")).toStartWith("application/json");
  expect(typeof ((await res.json()) as { error: unknown }).error).toBe("string");
});

test("2000 code points of astral characters are accepted", async () => {
  const res = await post(JSON.stringify({ text: "😀".repeat(2000) }));
  expect(res.status).toBe(201);
});

test("wrong method → 405 with Allow, unknown path → 404", async () => {
  const put = await fetch(`${base}/chat`, { method: "GET" });
  expect(put.status).toBe(405);
  expect(put.headers.get("allow")).toBe("POST");
  const del = await fetch(`${base}/messages`, { method: "DELETE" });
  expect(del.status).toBe(405);
  expect(del.headers.get("allow")).toBe("GET, HEAD");
  expect((await fetch(`${base}/nope`)).status).toBe(404);
  expect((await fetch(`${base}/messages?since=x`)).status).toBe(400);
  expect((await fetch(`${base}/messages?since=0&wait=31`)).status).toBe(400);
});

test("GET /messages returns at most 100 newer messages per reply", async () => {
  for (let i = 0; i < 130; i++) await post(JSON.stringify({ text: `m${i}` }));
  const first = (await (await fetch(`${base}/messages?since=0`)).json()) as ChatMessage[];
  expect(first.length).toBe(100);
  const rest = (await (
    await fetch(`${base}/messages?since=${first.at(-1)?.id}`)
  ).json()) as ChatMessage[];
  expect(rest.map((m: { text: string }) => m.text)).toEqual(
    Array.from({ length: 30 }, (_, i) => `m${i + 100}`),
  );
});

test("a long poll is answered as soon as a newer message exists", async () => {
  const poll = fetch(`${base}/messages?since=0&wait=10`).then(
    (r) => r.json() as Promise<ChatMessage[]>,
  );
  await Bun.sleep(100);
  await post('{"text":"wake up"}');
  const messages = await poll;
  expect(messages.map((m: { text: string }) => m.text)).toEqual(["wake up"]);
});

test("a long poll with nothing new ends after wait seconds with []", async () => {
  const res = await fetch(`${base}/messages?since=0&wait=0.2`);
  expect(await res.json()).toEqual([]);
});

test("the page and its assets carry Content-Type and ETag, and revalidate with 304", async () => {
  for (const [path, type] of [
    ["/", "text/html"],
    ["/app.js", "text/javascript"],
    ["/styles.css", "text/css"],
  ] as const) {
    const res = await fetch(`${base}${path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith(type);
    const etag = res.headers.get("etag") as string;
    expect(etag).toMatch(/^"[0-9a-f]+"$/);
    await res.arrayBuffer();
    const again = await fetch(`${base}${path}`, { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
  }
  expect(await (await fetch(`${base}/`)).text()).toContain('<script type="module" src="/app.js">');
});

test("a restart keeps the history and ids keep increasing", async () => {
  await post('{"text":"before"}');
  await post('{"text":"restart"}');
  await chat?.stop();
  await start();
  const res = await post('{"text":"after"}');
  expect(await res.json()).toEqual({ id: 3 });
  const texts = ((await (await fetch(`${base}/messages?since=0`)).json()) as ChatMessage[]).map(
    (m: { text: string }) => m.text,
  );
  expect(texts).toEqual(["before", "restart", "after"]);
});

test("HEAD / has the page's Content-Length and no body", async () => {
  const get = await fetch(`${base}/`);
  const size = (await get.arrayBuffer()).byteLength;
  const head = await fetch(`${base}/`, { method: "HEAD" });
  expect(head.status).toBe(200);
  expect(head.headers.get("content-length")).toBe(String(size));
  expect(await head.text()).toBe("");
});

test("a POST resent with the same Idempotency-Key is stored once and answered with the first id", async () => {
  const send = (key: string, text: string) =>
    fetch(`${base}/chat`, {
      method: "POST",
      headers: { "idempotency-key": key },
      body: JSON.stringify({ text, name: "ann" }),
    });
  const first = await send('"k-1"', "only once"); // the draft's quoted form
  expect(first.status).toBe(201);
  expect(await first.json()).toEqual({ id: 1 });
  const again = await send("k-1", "only once"); // the bare token is the same key
  expect(again.status).toBe(201);
  expect(await again.json()).toEqual({ id: 1 });
  expect(await (await send("k-2", "another")).json()).toEqual({ id: 2 });
  // A key in the body works the same; it must agree with the header when both are sent.
  expect(await (await post(JSON.stringify({ text: "only once", key: "k-1" }))).json()).toEqual({
    id: 1,
  });
  const clash = await fetch(`${base}/chat`, {
    method: "POST",
    headers: { "idempotency-key": "k-3" },
    body: JSON.stringify({ text: "x", key: "k-4" }),
  });
  expect(clash.status).toBe(400);
  expect(((await clash.json()) as { error: string }).error).toContain("differ");
  for (const bad of ["", "x".repeat(65), "a b", "k/1", '"unterminated']) {
    const res = await fetch(`${base}/chat`, {
      method: "POST",
      headers: { "idempotency-key": bad },
      body: '{"text":"x"}',
    });
    expect(res.status).toBe(400);
  }
  const refused = await post(JSON.stringify({ text: "x", key: 5 }));
  expect(refused.status).toBe(400);
  const messages = (await (await fetch(`${base}/messages?since=0`)).json()) as ChatMessage[];
  expect(messages.map((m) => [m.id, m.text])).toEqual([
    [1, "only once"],
    [2, "another"],
  ]);
});

test("an idempotency key survives a restart: a post resent to the restarted server is not stored again", async () => {
  const send = () =>
    fetch(`${base}/chat`, {
      method: "POST",
      headers: { "idempotency-key": "before-restart" },
      body: '{"text":"sent before the restart"}',
    });
  expect(await (await send()).json()).toEqual({ id: 1 });
  await chat?.stop();
  await start();
  expect(await (await send()).json()).toEqual({ id: 1 });
  expect(((await (await fetch(`${base}/messages?since=0`)).json()) as unknown[]).length).toBe(1);
});
