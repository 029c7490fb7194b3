// WebSocketRoom over real sockets: our client, plain and with permessage-deflate agreed, gets every
// published message once and in order, busy or quiet, and a client that leaves drops out.
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
