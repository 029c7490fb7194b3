// WebSocketRoom over real sockets: our client, plain and with permessage-deflate agreed, gets every
// published message once and in order, busy or quiet, a client that leaves drops out, and one that
// never reads is cut off while the others get everything.
import { afterEach, expect, test } from "bun:test";
import { connectWebSocket } from "../src/client.ts";
import { WebSocketRoom } from "../src/room.ts";
import { type EchoServer, startEchoServer } from "./echo-server.ts";

let server: EchoServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

test("every member gets every message in order, plain and deflate alike", async () => {
  const room = new WebSocketRoom();
  server = await startEchoServer({
    upgrade: { deflate: {} },
    onMessage: (_from, data) => room.publish(data),
  });
  const url = `ws://127.0.0.1:${server.port}/`;
  const clients = await Promise.all(
    Array.from({ length: 12 }, (_, i) => connectWebSocket(url, { deflate: i % 2 === 0 })),
  );
  while (server.sessions.size < clients.length) await Bun.sleep(1);
  for (const session of server.sessions) room.add(session);
  expect(room.size).toBe(12);
  // Three senders, a message every ~1 ms for a while (busy), then one more after a pause (quiet).
  const count = 60;
  for (let i = 0; i < count; i++) {
    clients[i % 3]!.send(`m${i}`);
    if (i % 5 === 4) await Bun.sleep(1);
  }
  await Bun.sleep(50);
  clients[5]!.send(Uint8Array.of(7, 7));
  let first: (string | Uint8Array)[] | undefined;
  for (const [index, client] of clients.entries()) {
    const got: (string | Uint8Array)[] = [];
    for (let i = 0; i <= count; i++) got.push((await client.next())!);
    // Each sender's messages keep their order; across senders the room's order is what arrived.
    for (let s = 0; s < 3; s++) {
      const mine = got.filter((m) => typeof m === "string" && Number(m.slice(1)) % 3 === s);
      expect({ client: index, mine }).toEqual({
        client: index,
        mine: Array.from({ length: count / 3 }, (_, k) => `m${k * 3 + s}`),
      });
    }
    expect(got.at(-1)).toEqual(Uint8Array.of(7, 7));
    first ??= got;
    expect(got).toEqual(first); // every client saw the room's one order
  }
  clients[0]!.close(1000);
  await clients[0]!.closed;
  while (room.size > 11) await Bun.sleep(1);
  expect(room.publish("bye")).toBe(11);
  for (const client of clients.slice(1)) expect(await client.next()).toBe("bye");
  for (const client of clients.slice(1)) client.close(1000);
  await Promise.all(clients.map((c) => c.closed));
});

test("a member that never reads overflows its queue and leaves the room; the reader gets every message", async () => {
  const room = new WebSocketRoom();
  server = await startEchoServer({ connection: { maxQueuedBytes: 256 * 1024 } });
  const greedy = await Bun.connect({
    hostname: "127.0.0.1",
    port: server.port,
    socket: { data() {}, close() {}, error() {} },
  });
  greedy.write(
    "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
  );
  while (server.sessions.size < 1) await Bun.sleep(1);
  const greedySession = [...server.sessions][0]!;
  greedy.pause(); // nothing is read from here on
  const polite = await connectWebSocket(`ws://127.0.0.1:${server.port}/`);
  while (server.sessions.size < 2) await Bun.sleep(1);
  for (const session of server.sessions) room.add(session);
  const count = 400; // 24 MB: more than the kernel's buffers for the greedy socket can hold
  const received = (async () => {
    let n = 0;
    for (let i = 0; i < count; i++) {
      const data = (await polite.next()) as Uint8Array;
      if (data.length === 60_000 && data[0] === i % 256) n++;
    }
    return n;
  })();
  const rssBefore = process.memoryUsage().rss;
  for (let i = 0; i < count; i++) {
    room.publish(new Uint8Array(60_000).fill(i % 256));
    if (i % 4 === 3) await Bun.sleep(1);
  }
  expect(await received).toBe(count);
  const cut = await greedySession.closed;
  expect((cut.error as { code?: string } | undefined)?.code).toBe("QUEUE_OVERFLOW");
  expect(room.size).toBe(1); // it left the room by itself
  expect(process.memoryUsage().rss - rssBefore).toBeLessThan(96 * 1024 * 1024);
  greedy.terminate();
  polite.close(1000);
  await polite.closed;
}, 20_000);
