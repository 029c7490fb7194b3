// Hostile peers against the echo server: each gets its close code and is disconnected, memory stays
// bounded, and the others are not delayed.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { connectWebSocket } from "../src/client.ts";
import { type EchoServer, startEchoServer } from "./echo-server.ts";
import { clientFrame, openRaw } from "./raw-client.ts";

let server: EchoServer;
beforeAll(async () => {
  server = await startEchoServer({
    connection: {
      maxQueuedBytes: 512 * 1024,
      sendTimeoutMs: 1000,
      requestTimeoutMs: 500, // framing's message deadline: a frame cut off halfway
    },
  });
});
afterAll(() => server.stop());

test.each([
  ["an unmasked client frame", [clientFrame(0x1, "hi", { mask: false })], 1002],
  ["a 2^63 length", [clientFrame(0x2, "", { length: 1n << 63n })], 1002],
  ["a 2^62 length", [clientFrame(0x2, "", { length: 1n << 62n })], 1009],
  ["a 126-byte ping", [clientFrame(0x9, new Uint8Array(126))], 1002],
  ["a fragmented control frame", [clientFrame(0x9, "a", { fin: false })], 1002],
  [
    "invalid UTF-8 split across fragments",
    [
      clientFrame(0x1, Uint8Array.of(0x41, 0xf0, 0x9f), { fin: false }),
      clientFrame(0x0, Uint8Array.of(0x41), { fin: true }),
    ],
    1007,
  ],
] as const)("%s gets its close code and is disconnected", async (_, frames, code) => {
  const raw = await openRaw(server.port);
  for (const frame of frames) raw.send(frame);
  const result = await raw.result(3000);
  expect({ close: result.closeCode, closed: result.closed }).toEqual({ close: code, closed: true });
});

test("a frame that stalls halfway is cut off by framing's message deadline (reportPartialInput)", async () => {
  const raw = await openRaw(server.port);
  raw.send(clientFrame(0x2, new Uint8Array(100_000)).subarray(0, 500));
  const started = performance.now();
  const result = await raw.result(15_000);
  expect(result.closed).toBe(true);
  // 500 ms, plus framing's allowance of 1 s per KiB received, plus its coarse clock.
  expect(performance.now() - started).toBeLessThan(5_000);
}, 20_000);

test("a client that never reads is disconnected; another client is not delayed meanwhile", async () => {
  const greedy = await Bun.connect({
    hostname: "127.0.0.1",
    port: server.port,
    socket: { data() {}, close() {}, error() {} },
  });
  const closed = new Promise<number>((resolve) => {
    const poll = setInterval(() => {
      if (greedy.readyState !== 1) {
        clearInterval(poll);
        resolve(performance.now());
      }
    }, 20);
  });
  const key = "dGhlIHNhbXBsZSBub25jZQ==";
  greedy.write(
    `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  await Bun.sleep(50);
  greedy.pause(); // from now on nothing is read: the echoes pile up in the kernel, then the server
  const started = performance.now();
  const chunk = clientFrame(0x2, new Uint8Array(60_000));
  const flood = setInterval(() => {
    for (let i = 0; i < 10; i++) if (greedy.write(chunk) <= 0) return;
  }, 5);

  const polite = await connectWebSocket(`ws://127.0.0.1:${server.port}/`);
  const rtts: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    polite.send(`ping ${i}`);
    expect(await polite.next()).toBe(`ping ${i}`);
    rtts.push(performance.now() - t);
    await Bun.sleep(25);
  }
  const end = await Promise.race([closed, Bun.sleep(10_000).then(() => -1)]);
  clearInterval(flood);
  expect(end).toBeGreaterThan(0);
  expect(end - started).toBeLessThan(10_000);
  // Loose for a busy 2-core CI box; a polite client stuck behind the greedy one would wait seconds.
  expect(Math.max(...rtts)).toBeLessThan(250);
  polite.close(1000);
  await polite.closed;
}, 20_000);
