// Hostile clients against the web chat, on loopback: each is cut off by framing's deadlines while
// a probe keeps posting and reading at full speed, and the server's memory stays bounded.
import { afterEach, describe, expect, test } from "bun:test";
import type { Socket } from "node:net";
import type { LogEvent } from "@netkit/framing";
import { closedWithin, rawFrom, receivedText, whenClosed } from "@netkit/testkit";
import { startWebChatServer, type WebChatServer } from "../src/index.ts";

let server: WebChatServer | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await server?.stop();
  server = undefined;
});

/** A probe's POST then GET round trip, in ms: what a real user waits during the attack. */
async function probe(port: number, text: string): Promise<number> {
  const start = performance.now();
  const posted = await fetch(`http://127.0.0.1:${port}/chat`, {
    method: "POST",
    body: JSON.stringify({ text }),
  });
  expect(posted.status).toBe(201);
  const { id } = (await posted.json()) as { id: number };
  const read = (await fetch(`http://127.0.0.1:${port}/messages?since=${id - 1}`).then((r) =>
    r.json(),
  )) as { text: string }[];
  expect(read.map((m) => m.text)).toEqual([text]);
  return performance.now() - start;
}

/** `count` raw connections spread over 127.0.0.2… in groups of `perAddress`. */
async function attackers(port: number, count: number, perAddress: number): Promise<Socket[]> {
  const all: Socket[] = [];
  for (let first = 0; first < count; first += perAddress) {
    const address = `127.0.1.${2 + first / perAddress}`;
    const size = Math.min(perAddress, count - first);
    const group = await Promise.all(Array.from({ length: size }, () => rawFrom(port, address)));
    sockets.push(...group);
    all.push(...group);
  }
  return all;
}

describe("web chat under attack", () => {
  test("1,000 POST bodies trickled a byte at a time get 408 by the request deadline; a probe is not delayed; RSS stays bounded", async () => {
    const requestTimeoutMs = 1500;
    server = await startWebChatServer({
      port: 0,
      dbPath: ":memory:",
      requestTimeoutMs,
      postsPerSecond: 0,
    });
    const port = server.port;
    await probe(port, "warm-up");
    const rssBefore = process.memoryUsage().rss;

    const crowd = await attackers(port, 1000, 50); // 20 addresses, under the cap of 64 each
    for (const s of crowd) {
      s.write("POST /chat HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n{");
    }
    const attackStart = performance.now();
    // A byte every 400 ms from each: none may push the deadline back.
    const trickle = setInterval(() => {
      for (const s of crowd) if (s.writable) s.write(" ");
    }, 400);

    let worst = 0;
    for (let i = 0; i < 10; i++) {
      worst = Math.max(worst, await probe(port, `probe ${i}`));
      await Bun.sleep(50);
    }
    const rssDuring = process.memoryUsage().rss;
    const closedAt = await Promise.all(crowd.map(whenClosed));
    clearInterval(trickle);
    const lastClose = Math.max(...closedAt) - attackStart;

    console.log(
      `trickled bodies: last of 1,000 closed after ${lastClose.toFixed(0)} ms, probe worst ${worst.toFixed(1)} ms, RSS +${((rssDuring - rssBefore) >> 20).toString()} MiB`,
    );
    expect(worst).toBeLessThan(100);
    // The deadline, plus framing's coarse clock, not the minutes a byte-reset timer would allow.
    expect(lastClose).toBeLessThan(requestTimeoutMs + 2000);
    expect(crowd.filter((s) => receivedText(s).startsWith("HTTP/1.1 408 ")).length).toBe(1000);
    expect(await server.store.latestId()).toBe(11); // warm-up and 10 probes, no half post stored
    // Each attacker holds a few bytes of body: growth is sockets and bookkeeping, not input.
    expect(rssDuring - rssBefore).toBeLessThan(100 * 1024 * 1024);
  }, 30_000);

  test("a client that pipelines GETs and never reads is disconnected by the send timeout; a probe is not delayed", async () => {
    const events: LogEvent[] = [];
    const sendTimeoutMs = 1000;
    server = await startWebChatServer({
      port: 0,
      dbPath: ":memory:",
      postsPerSecond: 0, // the probe posts 100 long messages first
      sendTimeoutMs,
      log: (event) => events.push(event),
    });
    const port = server.port;
    // 100 messages of 2,000 characters: every GET /messages answer is about 200 KB.
    for (let i = 0; i < 100; i++) await probe(port, `${i} ${"m".repeat(1995)}`);

    const [reader] = await attackers(port, 1, 1);
    const stalled = reader as Socket;
    stalled.pause(); // never read a byte
    const attackStart = performance.now();
    stalled.write("GET /messages?since=0 HTTP/1.1\r\nHost: t\r\n\r\n".repeat(400));

    let worst = 0;
    for (let i = 0; i < 10; i++) {
      worst = Math.max(worst, await probe(port, `probe ${i}`));
      await Bun.sleep(100);
    }
    await whenClosed(stalled);
    const closedAfter = performance.now() - attackStart;

    console.log(
      `stalled reader: closed after ${closedAfter.toFixed(0)} ms, probe worst ${worst.toFixed(1)} ms`,
    );
    expect(worst).toBeLessThan(100);
    expect(closedAfter).toBeLessThan(sendTimeoutMs + 3000);
    // One log line says who was cut off and why.
    const cutOff = events.filter((e) => e.event === "conn.close" && e.level === "warn");
    expect(cutOff).toHaveLength(1);
    expect(cutOff[0]?.reason).toBe("SEND_TIMEOUT");
    expect(server.connectionCount).toBeLessThanOrEqual(1); // at most the probe's kept-alive one
  }, 30_000);

  test("connections over the per-address cap get 503 at once; another address is served", async () => {
    server = await startWebChatServer({
      port: 0,
      dbPath: ":memory:",
      maxConnectionsPerAddress: 10,
    });
    const port = server.port;
    const flood = await attackers(port, 40, 40);
    // Each socket: what it got before closing, or null if still open after 1.5 s.
    const outcomes = await Promise.all(
      flood.map(async (s) => ((await closedWithin(s, 1500)) ? receivedText(s) : null)),
    );
    expect(outcomes.filter((t) => t?.startsWith("HTTP/1.1 503 ")).length).toBe(30);
    expect(outcomes.filter((t) => t === null).length).toBe(10);
    expect(await probe(port, "from another address")).toBeLessThan(100);
  });
});
