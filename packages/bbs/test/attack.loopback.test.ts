// Hostile clients against the BBS on loopback: framing's caps and deadlines cut them off while a
// probe keeps posting quickly and the server's memory stays bounded.
import { afterEach, describe, expect, test } from "bun:test";
import type { Socket as NetSocket } from "node:net";
import { closedWithin, rawFrom as connectFrom } from "@netkit/testkit";
import { type BbsServer, startBbsServer } from "../src/index.ts";
import { RawClient } from "./helpers.ts";

let server: BbsServer | undefined;
const sockets: NetSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await server?.stop();
  server = undefined;
});

/** A raw client from a chosen 127.x source address (testkit's), closed after each test. */
async function rawFrom(port: number, localAddress: string): Promise<NetSocket> {
  const socket = await connectFrom(port, localAddress);
  sockets.push(socket);
  return socket;
}

/** A post's round trip from a logged-in probe: `who` answers only after the post is stored. */
async function probe(port: number): Promise<number> {
  const c = await RawClient.session(port, "probe");
  const start = performance.now();
  c.send("a probe post");
  c.send("who");
  await c.next(); // the count of the listing
  const rtt = performance.now() - start;
  c.close();
  return rtt;
}

/** A 4-byte header announcing `size` bytes, then `size - 1` of them: a frame that never completes. */
function almostFrame(size: number): Buffer {
  const b = Buffer.alloc(4 + size - 1);
  b.writeUInt32BE(size, 0);
  return b;
}

describe("BBS under attack", () => {
  test("300 connections from one address: the excess is refused at once, another address is served", async () => {
    server = await startBbsServer({ port: 0, dbPath: ":memory:" });
    const flood = await Promise.all(
      Array.from({ length: 300 }, () => rawFrom(server!.port, "127.0.0.2")),
    );
    const closed = await Promise.all(flood.map((s) => closedWithin(s, 2000)));
    expect(closed.filter(Boolean).length).toBe(300 - 64);
    expect(server.connectionCount).toBe(64);
    expect(await probe(server.port)).toBeLessThan(100);
  });

  test("400 connections each holding a 64 KiB frame minus one byte: the budget sheds the biggest, the deadline closes the rest, RSS stays bounded", async () => {
    server = await startBbsServer({
      port: 0,
      dbPath: ":memory:",
      maxBufferedInputBytes: 8 << 20,
      messageTimeoutMs: 1000,
      minInputBytesPerSecond: 64 * 1024, // 1 s + 1 s for the 64 KiB each attacker sends
    });
    const rssBefore = process.memoryUsage().rss;
    const attackers: NetSocket[] = [];
    for (let a = 0; a < 8; a++) {
      const group = await Promise.all(
        Array.from({ length: 50 }, () => rawFrom(server!.port, `127.0.0.${10 + a}`)),
      );
      for (const s of group) s.write(almostFrame(64 * 1024));
      attackers.push(...group);
    }
    const rtt = await probe(server.port);
    const rssDuring = process.memoryUsage().rss;
    const closed = await Promise.all(attackers.map((s) => closedWithin(s, 10_000)));
    expect(closed.every(Boolean)).toBe(true);
    expect(rtt).toBeLessThan(100);
    // 400 x 64 KiB would be 25 MiB held; the budget is 8 MiB. Bound the growth with room for sockets.
    expect(rssDuring - rssBefore).toBeLessThan(96 * 1024 * 1024);
    expect(server.connectionCount).toBe(0);
  }, 30_000);

  test("a partial frame trickled a byte every 300 ms is closed by the deadline although bytes keep coming", async () => {
    server = await startBbsServer({ port: 0, dbPath: ":memory:", messageTimeoutMs: 1000 });
    const slow = await rawFrom(server.port, "127.0.0.30");
    slow.write(Buffer.from([0, 0, 0, 100]));
    const timer = setInterval(() => slow.writable && slow.write("x"), 300);
    const start = performance.now();
    expect(await closedWithin(slow, 5000)).toBe(true);
    clearInterval(timer);
    expect(performance.now() - start).toBeLessThan(2500);
    expect(await probe(server.port)).toBeLessThan(100);
  });
});
