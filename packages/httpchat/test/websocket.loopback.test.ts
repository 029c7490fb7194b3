// GET /ws on loopback with our own WebSocket client: push, since= catch-up joined to the live
// stream under concurrent posts, posts over the socket (valid, invalid, rate-limited), the
// cross-origin refusal, and a socket that does not read.
import { afterEach, expect, test } from "bun:test";
import { type ClientOptions, connectWebSocket, type WebSocketSession } from "@netkit/websocket";
import { WebSocketDecoder } from "@netkit/websocket/codec";
import { type ChatMessage, startWebChatServer, type WebChatServer } from "../src/index.ts";

let chat: WebChatServer | undefined;
const sockets: WebSocketSession[] = [];

async function start(
  extra: Parameters<typeof startWebChatServer>[0] = {},
): Promise<{ http: string; ws: string }> {
  chat = await startWebChatServer({ port: 0, dbPath: ":memory:", postsPerSecond: 0, ...extra });
  return { http: `http://127.0.0.1:${chat.port}`, ws: `ws://127.0.0.1:${chat.port}/ws` };
}

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.connection.destroy();
  await chat?.stop();
  chat = undefined;
});

async function open(url: string, options: ClientOptions = {}): Promise<WebSocketSession> {
  const socket = await connectWebSocket(url, options);
  sockets.push(socket);
  return socket;
}

/** The next frame as JSON, failing after `ms`. */
async function nextJson(socket: WebSocketSession, ms = 2000): Promise<Record<string, unknown>> {
  const data = await Promise.race([
    socket.next(),
    Bun.sleep(ms).then(() => {
      throw new Error(`no frame within ${ms} ms`);
    }),
  ]);
  if (typeof data !== "string") throw new Error(`expected a text frame, got ${String(data)}`);
  return JSON.parse(data);
}

/** Reads frames until `count` messages (frames with an id and text) have come. */
async function readMessages(socket: WebSocketSession, count: number): Promise<ChatMessage[]> {
  const messages: ChatMessage[] = [];
  while (messages.length < count) messages.push((await nextJson(socket, 5000)) as never);
  return messages;
}

const post = (base: string, text: string, name = "ann") =>
  fetch(`${base}/chat`, { method: "POST", body: JSON.stringify({ name, text }) });

test("a message posted over HTTP is pushed at once to every open socket, as GET /messages lists it", async () => {
  const { http, ws } = await start();
  const [a, b] = await Promise.all([open(ws), open(ws)]);
  const started = performance.now();
  expect((await post(http, "hello")).status).toBe(201);
  const [onA, onB] = await Promise.all([nextJson(a), nextJson(b)]);
  const ms = performance.now() - started;
  const listed = (await (await fetch(`${http}/messages?since=0`)).json()) as ChatMessage[];
  expect(onA).toEqual(listed[0] as never);
  expect(onB).toEqual(listed[0] as never);
  expect(Object.keys(onA)).toEqual(["id", "name", "text", "time"]);
  expect(ms).toBeLessThan(500);
  expect(chat?.connectionCount).toBeGreaterThanOrEqual(2);
});

test("without since= a socket gets only messages stored after it opened", async () => {
  const { http, ws } = await start();
  await post(http, "before");
  const socket = await open(ws);
  await post(http, "after");
  expect(await nextJson(socket)).toMatchObject({ id: 2, text: "after" });
});

test("since=ID sends the history after ID in order, then the live stream, with no gap or repeat under concurrent posts", async () => {
  const { http, ws } = await start();
  for (let i = 1; i <= 250; i++) await post(http, `old ${i}`); // more than two store pages
  // Writers keep posting while sockets open at different points and catch up.
  let writing = true;
  let written = 250;
  const writers = Array.from({ length: 4 }, async () => {
    while (writing) {
      const res = await post(http, `new ${written}`);
      if (res.status === 201) written += 1;
    }
  });
  const readers = [0, 17, 100, 249].map(async (since, i) => {
    await Bun.sleep(i * 15);
    const socket = await open(`${ws}?since=${since}`);
    return { since, socket };
  });
  const opened = await Promise.all(readers);
  await Bun.sleep(300);
  writing = false;
  await Promise.all(writers);
  const total = (await (
    await fetch(`${http}/messages?since=${written - 1}`)
  ).json()) as ChatMessage[];
  const lastId = total.at(-1)?.id ?? written;
  expect(lastId).toBeGreaterThan(300); // posts really ran concurrently with the catch-ups
  for (const { since, socket } of opened) {
    const got = await readMessages(socket, lastId - since);
    expect(got.map((m) => m.id)).toEqual(
      Array.from({ length: lastId - since }, (_, i) => since + i + 1),
    );
  }
}, 30_000);

test("a post over the socket is stored like POST /chat, acknowledged, and pushed to the others", async () => {
  const { http, ws } = await start();
  const [writer, reader] = await Promise.all([open(ws), open(ws)]);
  writer.send(JSON.stringify({ name: "  bob ", text: "over the socket" }));
  const frames = [await nextJson(writer), await nextJson(writer)];
  // The ack and the push may come in either order (the push may follow the commit first).
  expect(frames).toContainEqual({ posted: 1 });
  expect(frames).toContainEqual(
    expect.objectContaining({ id: 1, name: "bob", text: "over the socket" }),
  );
  expect(await nextJson(reader)).toMatchObject({ id: 1, name: "bob", text: "over the socket" });
  const listed = (await (await fetch(`${http}/messages?since=0`)).json()) as ChatMessage[];
  expect(listed.map((m) => [m.name, m.text])).toEqual([["bob", "over the socket"]]);
});

test.each([
  ["invalid JSON", "{nope", "BAD_REQUEST", "body is not valid JSON"],
  ["an array", "[1]", "BAD_REQUEST", "body must be a JSON object"],
  ["an empty text", '{"text":"  "}', "BAD_REQUEST", "text must be a non-empty string"],
  [
    "a text over 2000 code points",
    JSON.stringify({ text: "é".repeat(2001) }),
    "BAD_REQUEST",
    "text is over 2000 characters",
  ],
  ["a bidi override", JSON.stringify({ text: "abc\u202edef" }), "BIDI_CONTROL", "U+202E"],
  ["an invisible name", JSON.stringify({ name: "a\u200bb", text: "x" }), "INVISIBLE", ""],
])("a post of %s gets an error frame and the socket stays open", async (_, frame, code, error) => {
  const { http, ws } = await start();
  const socket = await open(ws);
  socket.send(frame);
  const reply = await nextJson(socket);
  expect(reply.error).toContain(error);
  expect(reply.code).toBe(code);
  // Same answer as HTTP (whose body has the same error, without the default code)
  const res = await fetch(`${http}/chat`, { method: "POST", body: frame });
  expect(res.status).toBe(400);
  expect(((await res.json()) as { error: string }).error).toBe(reply.error as string);
  // Still open, and a good post goes through.
  expect(socket.readyState).toBe("open");
  socket.send('{"text":"fine"}');
  const frames = [await nextJson(socket), await nextJson(socket)]; // the ack and the push, either order
  expect(frames).toContainEqual({ posted: 1 });
});

test("a post resent over a new socket with the same key is acknowledged with the first id and pushed once", async () => {
  const { http, ws } = await start();
  const reader = await open(ws);
  const first = await open(ws);
  first.send(JSON.stringify({ text: "resent after a drop", key: "page-key-1" }));
  const frames = [await nextJson(first), await nextJson(first)];
  expect(frames).toContainEqual({ posted: 1 });
  first.connection.destroy(); // the page's connection drops; it cannot know the post was stored
  const second = await open(`${ws}?since=1`);
  second.send(JSON.stringify({ text: "resent after a drop", key: "page-key-1" }));
  expect(await nextJson(second)).toEqual({ posted: 1 });
  second.send(JSON.stringify({ text: "new", key: "page-key-2" }));
  const next = [await nextJson(second), await nextJson(second)];
  expect(next).toContainEqual({ posted: 2 });
  // The reader got each message once: 1, then 2, nothing between.
  expect(await nextJson(reader)).toMatchObject({ id: 1, text: "resent after a drop" });
  expect(await nextJson(reader)).toMatchObject({ id: 2, text: "new" });
  const listed = (await (await fetch(`${http}/messages?since=0`)).json()) as ChatMessage[];
  expect(listed.map((m) => m.id)).toEqual([1, 2]);
  second.send(JSON.stringify({ text: "x", key: "not a key" }));
  expect(await nextJson(second)).toMatchObject({ code: "BAD_REQUEST" });
});

test("a binary frame is refused with an error frame, not stored", async () => {
  const { ws } = await start();
  const socket = await open(ws);
  socket.send(new TextEncoder().encode('{"text":"binary"}'));
  expect(await nextJson(socket)).toMatchObject({ code: "BAD_REQUEST" });
  expect(socket.readyState).toBe("open");
});

test("posts over the socket share the per-address rate limit of POST /chat", async () => {
  const { http, ws } = await start({ postsPerSecond: 1, postBurst: 3 });
  const socket = await open(ws);
  for (let i = 0; i < 4; i++) socket.send(JSON.stringify({ text: `m${i}` }));
  const replies: Record<string, unknown>[] = [];
  while (replies.filter((r) => !("id" in r)).length < 4) replies.push(await nextJson(socket));
  const acks = replies.filter((r) => !("id" in r));
  expect(acks.slice(0, 3)).toEqual([{ posted: 1 }, { posted: 2 }, { posted: 3 }]);
  expect(acks[3]).toMatchObject({ code: "RATE_LIMITED", retryAfter: 1 });
  // The same bucket: HTTP from this address is limited too.
  expect((await post(http, "via http")).status).toBe(429);
  expect(socket.readyState).toBe("open");
});

test("a cross-site browser handshake is refused with 403 CROSS_ORIGIN; same-origin and Origin-less clients are allowed", async () => {
  const { ws } = await start();
  const port = chat?.port;
  for (const options of [
    { origin: "https://evil.example" },
    { headers: [["sec-fetch-site", "cross-site"]] as [string, string][] },
    {
      origin: `http://127.0.0.1:${port}`,
      headers: [["sec-fetch-site", "same-site"]] as [string, string][],
    },
  ]) {
    const failure = await connectWebSocket(ws, options).then(
      () => "opened",
      (error: Error) => error.message,
    );
    expect(failure).toContain("403");
  }
  // A raw handshake shows the body: the JSON of POST /chat's refusal.
  const res = await fetch(`http://127.0.0.1:${port}/ws`, {
    headers: { origin: "https://evil.example", upgrade: "websocket", connection: "upgrade" },
  });
  expect(res.status).toBe(403);
  expect(await res.json()).toMatchObject({ code: "CROSS_ORIGIN" });
  await open(ws, { origin: `http://127.0.0.1:${port}` });
  await open(ws, { headers: [["sec-fetch-site", "same-origin"]] });
  await open(ws);
});

test("bad since= is 400, a plain GET /ws is refused, and webSocket: false answers 404", async () => {
  const { http } = await start();
  const bad = await connectWebSocket(`ws://127.0.0.1:${chat?.port}/ws?since=abc`).then(
    () => "opened",
    (error: Error) => error.message,
  );
  expect(bad).toContain("400");
  expect((await fetch(`${http}/ws`)).status).toBeGreaterThanOrEqual(400);
  expect((await fetch(`${http}/ws`, { method: "POST" })).status).toBe(405);
  await chat?.stop();
  const off = await start({ webSocket: false });
  expect((await fetch(`${off.http}/ws`)).status).toBe(404);
  const refused = await connectWebSocket(off.ws).then(
    () => "opened",
    (error: Error) => error.message,
  );
  expect(refused).toContain("404");
  // The HTTP routes are unchanged.
  expect((await post(off.http, "still here")).status).toBe(201);
});

/** Bytes the socket's connection has read or written (framing's Connection under the session). */
const wire = (socket: WebSocketSession) =>
  (socket.connection as unknown as { stats: { bytesIn: number; bytesOut: number } }).stats;

test("permessage-deflate is agreed without context takeover: pushes arrive compressed once for all, posts are inflated", async () => {
  const { http, ws } = await start();
  const [packed, plain] = await Promise.all([open(ws, { deflate: true }), open(ws)]);
  expect(packed.deflate).toEqual({
    serverNoContextTakeover: true,
    clientNoContextTakeover: true,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  });
  expect(plain.deflate).toBeUndefined();
  // A long, repetitive message: far fewer bytes on the wire to the deflate socket.
  const text = "the quick brown fox jumps over the lazy dog, ".repeat(40);
  const before = [wire(packed).bytesIn, wire(plain).bytesIn];
  expect((await post(http, text)).status).toBe(201);
  const [onPacked, onPlain] = await Promise.all([nextJson(packed), nextJson(plain)]);
  expect(onPacked).toEqual(onPlain);
  expect(onPacked).toMatchObject({ id: 1, text });
  const wirePacked = wire(packed).bytesIn - before[0]!;
  const wirePlain = wire(plain).bytesIn - before[1]!;
  expect(wirePlain).toBeGreaterThan(text.length);
  expect(wirePacked).toBeLessThan(wirePlain / 5);
  // A short one goes uncompressed (below the threshold) and still arrives on both.
  await post(http, "hi");
  expect(await nextJson(packed)).toMatchObject({ id: 2, text: "hi" });
  expect(await nextJson(plain)).toMatchObject({ id: 2, text: "hi" });
  // A post over the deflate socket (compressed by our client) is inflated, stored and pushed.
  packed.send(JSON.stringify({ name: "zip", text }));
  const replies = [await nextJson(packed), await nextJson(packed)]; // the push and the ack
  expect(replies).toContainEqual({ posted: 3 });
  expect(replies).toContainEqual(expect.objectContaining({ id: 3, name: "zip", text }));
  expect(await nextJson(plain)).toMatchObject({ id: 3, name: "zip", text });
});

test("a compressed post that inflates past 64 KiB closes the socket with 1009; the others stay", async () => {
  const { http, ws } = await start();
  const [bomb, bystander] = await Promise.all([open(ws, { deflate: true }), open(ws)]);
  // 1 MiB of one letter compresses to about a kilobyte: a small frame, a big message.
  bomb.send(JSON.stringify({ name: "x", text: "a".repeat(1024 * 1024) }));
  const closed = await bomb.closed;
  expect(closed.code).toBe(1009);
  expect(wire(bomb).bytesOut).toBeLessThan(8 * 1024);
  expect((await post(http, "still here")).status).toBe(201);
  expect(await nextJson(bystander)).toMatchObject({ id: 1, text: "still here" });
});

test("a socket that does not read stops getting pushes past maxSocketLagBytes, then catches up from the store: every message once, in order", async () => {
  const { http, ws } = await start();
  // A raw client that completes the handshake and then stops reading: the server's queue fills
  // once the kernel buffers are full (a few MB on loopback, hence ~6 MB of messages).
  const ids: number[] = [];
  const decoder = new WebSocketDecoder({ role: "client" });
  let head = "";
  const raw = await Bun.connect({
    hostname: "127.0.0.1",
    port: chat?.port as number,
    socket: {
      data(_, chunk) {
        let bytes: Uint8Array = chunk;
        if (!head.endsWith("\r\n\r\n")) {
          const text = new TextDecoder("latin1").decode(chunk);
          const end = text.indexOf("\r\n\r\n");
          head += end < 0 ? text : text.slice(0, end + 4);
          if (end < 0) return;
          bytes = chunk.subarray(end + 4);
        }
        for (const event of decoder.push(bytes)) {
          if (event.type === "text") ids.push((JSON.parse(event.data) as ChatMessage).id);
        }
      },
    },
  });
  const key = btoa("0123456789abcdef");
  raw.write(
    `GET /ws?since=0 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  while (!head.endsWith("\r\n\r\n")) await Bun.sleep(5);
  expect(head).toStartWith("HTTP/1.1 101");
  raw.pause();
  const probe = await open(ws);
  const big = "x".repeat(1900);
  const rssBefore = process.memoryUsage().rss;
  const count = 3000;
  for (let i = 0; i < count; i++) await post(http, `${i} ${big}`);
  // The reading socket got every one, promptly, while the other one stalled.
  const got = await readMessages(probe, count);
  expect(got.at(-1)?.id).toBe(count);
  expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 * 1024);
  // The stalled one resumes and catches up from the store: every message, once, in order.
  raw.resume();
  const deadline = Date.now() + 10_000;
  while (ids.length < count && Date.now() < deadline) await Bun.sleep(50);
  expect(ids).toEqual(Array.from({ length: count }, (_, i) => i + 1));
  raw.end();
}, 30_000);
