// Hostile clients against the chat room, on loopback: each is cut off by framing's deadlines and
// caps while a probe keeps chatting at full speed and the server's memory stays bounded.
import { afterEach, describe, expect, test } from "bun:test";
import type { Socket as NetSocket } from "node:net";
import { closedWithin, rawFrom as connectFrom, receivedText, whenClosed } from "@netkit/testkit";
import { type ChatServer, startChatServer } from "../src/server.ts";
import { LineClient } from "./helpers.ts";

let server: ChatServer | undefined;
const sockets: NetSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await server?.stop();
  server = undefined;
});

/** A raw client from source address 127.0.0.N (each address has its own per-address quota). */
async function rawFrom(port: number, localAddress: string): Promise<NetSocket> {
  const socket = await connectFrom(port, localAddress);
  sockets.push(socket);
  return socket;
}

/** Round trip of one message from `from` to `to`, in ms. */
async function roundTrip(from: LineClient, to: LineClient, text: string): Promise<number> {
  const start = performance.now();
  from.send(text);
  await to.waitFor(new RegExp(`: ${text}$`));
  return performance.now() - start;
}

describe("chat under attack", () => {
  test("1,000 clients with an unterminated 4,000-byte line are closed by the line deadline; a probe is not delayed; RSS stays bounded", async () => {
    const lineTimeoutMs = 1500;
    server = await startChatServer({ port: 0, lineTimeoutMs, floodBurst: 0 });
    const port = server.port;
    const ann = await LineClient.join(port, "ann");
    const bob = await LineClient.join(port, "bob");
    const rssBefore = process.memoryUsage().rss;

    // 1,000 attackers over 20 source addresses (the cap is 50 per address).
    const attackers: NetSocket[] = [];
    const partial = `${"x".repeat(4000)}`; // no LF: a line that never ends
    for (let batch = 0; batch < 20; batch++) {
      const address = `127.0.0.${batch + 2}`;
      const group = await Promise.all(Array.from({ length: 50 }, () => rawFrom(port, address)));
      for (const s of group) {
        s.write("mallory\n"); // a name first, so the line is held by a joined session
        s.write(partial);
      }
      attackers.push(...group);
    }
    const attackStart = performance.now();
    // Keep trickling a byte now and then: no byte may extend the deadline.
    const trickle = setInterval(() => {
      for (const s of attackers) if (s.writable) s.write("y");
    }, 400);

    let worst = 0;
    for (let i = 0; i < 10; i++) {
      worst = Math.max(worst, await roundTrip(ann, bob, `probe ${i}`));
      await Bun.sleep(50);
    }
    const rssDuring = process.memoryUsage().rss;
    await Promise.all(attackers.map(whenClosed));
    clearInterval(trickle);
    const tookMs = performance.now() - attackStart;

    expect(worst).toBeLessThan(100);
    // Closed by the deadline (plus the sweep and the per-KiB allowance), not after minutes.
    expect(tookMs).toBeLessThan(lineTimeoutMs + 4000 + 1000);
    expect(server.connectionCount).toBe(2);
    // 1,000 x 4 KiB held is 4 MB; bound the growth generously for sockets and sessions.
    expect(rssDuring - rssBefore).toBeLessThan(150 * 1024 * 1024);
    // The attackers' partial lines reached no one.
    expect(bob.lines.some((l) => l.includes("xxxx"))).toBe(false);
    expect(await roundTrip(bob, ann, "still here")).toBeLessThan(100);
    ann.close();
    bob.close();
  }, 30_000);

  test("connections over the per-address cap are refused at once; another address still joins", async () => {
    server = await startChatServer({ port: 0, maxConnectionsPerAddress: 10 });
    const port = server.port;
    const flood = await Promise.all(Array.from({ length: 40 }, () => rawFrom(port, "127.0.0.9")));
    // Each socket: the text it got before closing, or null if still open after 1.5 s.
    const outcomes = await Promise.all(
      flood.map(async (s) => ((await closedWithin(s, 1500)) ? receivedText(s) : null)),
    );
    const refused = outcomes.filter((t) => t?.includes("at most 10 connections from 127.0.0.9"));
    expect(refused.length).toBe(30);
    expect(outcomes.filter((t) => t === null).length).toBe(10);
    const probe = await LineClient.join(port, "probe");
    expect(server.connectionCount).toBe(11);
    probe.close();
  });

  test("half a line left when a client disconnects reaches no one and stays out of history", async () => {
    server = await startChatServer({ port: 0 });
    const port = server.port;
    const ann = await LineClient.join(port, "ann");
    const eve = await rawFrom(port, "127.0.0.1");
    eve.write("eve\nfull line\n");
    await ann.waitFor(/^eve: full line$/);
    eve.end("HALF A LINE WITHOUT NEWLINE");
    await ann.waitFor(/^\* eve left/);
    const late = await LineClient.join(port, "late");
    await Bun.sleep(100);
    expect(ann.lines.some((l) => l.includes("HALF A LINE"))).toBe(false);
    expect(late.lines.some((l) => l.includes("HALF A LINE"))).toBe(false);
    expect(late.lines.some((l) => l.includes("full line"))).toBe(true); // history is there
    ann.close();
    late.close();
  });
});
