// connectWebSocket against the test echo server: ws:// and wss://, subprotocols, compression,
// the close handshake both ways, keepalive and its deadlines, and refused handshakes.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lines, listen } from "@netkit/framing";
import { makeTestCertificate } from "@netkit/testkit";
import { connectWebSocket } from "../src/client.ts";
import { WebSocketError } from "../src/errors.ts";
import { type EchoServer, startEchoServer } from "./echo-server.ts";
import { openRaw } from "./raw-client.ts";

let server: EchoServer | undefined;

/** Sends a raw request; resolves with the whole response (or all that came before the close). */
async function rawHttp(port: number, request: string): Promise<string> {
  let text = "";
  const { promise, resolve } = Promise.withResolvers<string>();
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data: (_s, chunk) => {
        text += Buffer.from(chunk).toString("latin1");
        // A refusal leaves the connection HTTP (open): one whole response is the answer.
        const end = text.indexOf("\r\n\r\n");
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(text)?.[1] ?? Number.NaN);
        if (end >= 0 && text.length >= end + 4 + length) resolve(text);
      },
      close: () => resolve(text),
    },
  });
  socket.write(request);
  return promise;
}
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe("connectWebSocket", () => {
  test("echoes text and binary, then closes cleanly with the code echoed", async () => {
    server = await startEchoServer();
    const ws = await connectWebSocket(`ws://127.0.0.1:${server.port}/chat?room=1`);
    ws.send("hello ✓");
    ws.send(Uint8Array.of(0, 1, 255));
    expect(await ws.next()).toBe("hello ✓");
    expect(await ws.next()).toEqual(Uint8Array.of(0, 1, 255));
    ws.close(4000, "done");
    expect(await ws.closed).toEqual({ code: 4000, reason: "", wasClean: true });
    expect(await ws.next()).toBeUndefined();
  });

  test("a 1 MiB message and 1000 small ones arrive whole and in order", async () => {
    server = await startEchoServer();
    const ws = await connectWebSocket(`ws://127.0.0.1:${server.port}/`);
    const big = Uint8Array.from({ length: 1 << 20 }, (_, i) => i & 0xff);
    ws.send(big);
    expect(await ws.next()).toEqual(big);
    for (let i = 0; i < 1000; i++) ws.send(`m${i}`);
    for (let i = 0; i < 1000; i++) expect(await ws.next()).toBe(`m${i}`);
    ws.close(1000);
    await ws.closed;
  });

  test("wss:// with the server's certificate as ca", async () => {
    const cert = await makeTestCertificate(mkdtempSync(join(tmpdir(), "ws-tls-")), "ws");
    server = await startEchoServer({
      connection: { tls: { cert: cert.cert, key: cert.key, port: 0 } },
    });
    const ws = await connectWebSocket(`wss://localhost:${server.tlsPort}/`, { ca: cert.cert });
    ws.send("over TLS");
    expect(await ws.next()).toBe("over TLS");
    ws.close(1000);
    expect((await ws.closed).wasClean).toBe(true);
    // Without the ca the self-signed certificate is refused (never clear text, never accepted).
    await expect(
      connectWebSocket(`wss://localhost:${server.tlsPort}/`, { connectTimeoutMs: 2000 }),
    ).rejects.toThrow();
  }, 20_000);

  test("subprotocol and permessage-deflate are negotiated", async () => {
    server = await startEchoServer({ upgrade: { protocols: ["chat.v2", "chat.v1"], deflate: {} } });
    const ws = await connectWebSocket(`ws://127.0.0.1:${server.port}/`, {
      protocols: ["chat.v1", "chat.v2"],
      deflate: { clientMaxWindowBits: 12, serverNoContextTakeover: true },
    });
    expect(ws.protocol).toBe("chat.v2");
    expect(ws.deflate).toEqual({
      serverNoContextTakeover: true,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 12,
    });
    const text = "compressible ".repeat(1000);
    for (let i = 0; i < 5; i++) ws.send(text);
    for (let i = 0; i < 5; i++) expect(await ws.next()).toBe(text);
    ws.close(1000);
    await ws.closed;
  });

  test("the server closes: the client echoes and sees a clean close", async () => {
    server = await startEchoServer({ onMessage: (s) => s.close(1001, "going") });
    const ws = await connectWebSocket(`ws://127.0.0.1:${server.port}/`);
    ws.send("close me");
    expect(await ws.closed).toEqual({ code: 1001, reason: "going", wasClean: true });
  });

  test("a server that never answers the close is dropped after closeTimeoutMs", async () => {
    // The server holds its input after the first message, so our close frame is never read.
    server = await startEchoServer({ onMessage: (s) => s.connection.hold() });
    const ws = await connectWebSocket(`ws://127.0.0.1:${server.port}/`, { closeTimeoutMs: 200 });
    ws.send("hold");
    await Bun.sleep(50);
    const started = performance.now();
    ws.close(1000);
    const event = await ws.closed;
    expect(event.wasClean).toBe(false);
    expect((event.error as WebSocketError).code).toBe("CLOSE_TIMEOUT");
    expect(performance.now() - started).toBeLessThan(2000);
  });

  test("keepalive: the server pings, the client answers; a peer that never pongs is dropped", async () => {
    server = await startEchoServer({ session: { pingIntervalMs: 100, pongTimeoutMs: 200 } });
    const ws = await connectWebSocket(`ws://127.0.0.1:${server.port}/`, { pingIntervalMs: 0 });
    let pings = 0;
    const counted = await connectWebSocket(`ws://127.0.0.1:${server.port}/`, {
      pingIntervalMs: 0,
      onPing: () => pings++,
    });
    await Bun.sleep(450);
    expect(ws.readyState).toBe("open");
    expect(pings).toBeGreaterThanOrEqual(2);
    ws.close(1000);
    counted.close(1000);
    // A raw client that reads but never answers pings.
    const raw = await openRaw(server.port);
    const result = await raw.result(2000);
    expect(result.closed).toBe(true);
    expect(result.frames.some((f) => f.opcode === 0x9)).toBe(true);
    raw.end();
  });

  test("refusals: 426 for a wrong version, a bad Sec-WebSocket-Accept, an unoffered extension", async () => {
    server = await startEchoServer();
    const reply = await rawHttp(
      server.port,
      "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    );
    expect(reply).toStartWith("HTTP/1.1 426 Upgrade Required\r\n");
    expect(reply.toLowerCase()).toContain("\r\nsec-websocket-version: 13\r\n");

    const liar = listen({
      port: 0,
      protocol: lines(),
      onConnection: (c) => {
        c.send(
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r",
        );
      },
    });
    const error = await connectWebSocket(`ws://127.0.0.1:${liar.port}/`).catch((e) => e);
    expect(error).toBeInstanceOf(WebSocketError);
    expect((error as WebSocketError).code).toBe("HANDSHAKE_FAILED");
    await liar.stop();

    const http = listen({
      port: 0,
      protocol: lines(),
      onConnection: (c) => {
        c.send("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r");
      },
    });
    await expect(connectWebSocket(`ws://127.0.0.1:${http.port}/`)).rejects.toThrow(/404/);
    await http.stop();
    await expect(connectWebSocket("ftp://127.0.0.1/")).rejects.toThrow(TypeError);
  });
});
