// The echo server on 127.0.0.1 with raw Bun sockets and framing clients.
import { afterEach, expect, test } from "bun:test";
import { type EchoServer, type EchoServerOptions, startEchoServer } from "../src/echo.ts";
import { LineClient } from "./helpers.ts";

let server: EchoServer | undefined;

async function start(options: EchoServerOptions = {}): Promise<EchoServer> {
  server = await startEchoServer({ port: 0, ...options });
  return server;
}

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** Writes `pieces` one by one with a pause between, half-closes, returns all bytes received. */
async function rawExchange(port: number, pieces: Uint8Array[]): Promise<string> {
  const received: Uint8Array[] = [];
  let done!: () => void;
  const closed = new Promise<void>((r) => (done = r));
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    allowHalfOpen: true,
    socket: {
      binaryType: "uint8array",
      data: (_s, chunk) => {
        received.push(chunk.slice());
      },
      close: () => done(),
    },
  });
  for (const piece of pieces) {
    socket.write(piece);
    await Bun.sleep(5);
  }
  socket.shutdown(); // half-close: we still read the replies
  const timer = setTimeout(() => socket.end(), 5000);
  await closed;
  clearTimeout(timer);
  return new TextDecoder().decode(Buffer.concat(received));
}

const utf8 = (s: string) => new TextEncoder().encode(s);

test("echoes lines unchanged by default, handling lines and a character split across reads", async () => {
  await start();
  const bytes = utf8("héllo wörld\r\nsecond line\n日本\n");
  const pieces = [...bytes].map((b) => Uint8Array.of(b)); // one byte per write
  expect(await rawExchange(server!.port, pieces)).toBe("héllo wörld\nsecond line\n日本\n");
});

test("--upper capitalizes with Unicode rules", async () => {
  await start({ upper: true });
  const reply = await rawExchange(server!.port, [utf8("straße ǆ ﬁ ß\nabc\n")]);
  expect(reply).toBe("STRASSE Ǆ FI SS\nABC\n");
});

test("a last line without newline is answered, then the half-closed client is closed", async () => {
  await start({ upper: true });
  const reply = await rawExchange(server!.port, [utf8("one\ntw"), utf8("o")]);
  expect(reply).toBe("ONE\nTWO\n");
});

test("a line over the limit gets an error line; the connection goes on", async () => {
  await start({ maxLineBytes: 10 });
  const reply = await rawExchange(server!.port, [utf8(`${"x".repeat(50)}\nshort\n`)]);
  expect(reply).toBe("error LINE_TOO_LONG: lines are limited to 10 bytes; it was dropped\nshort\n");
});

test("many clients at once, each gets its own lines back in order", async () => {
  await start();
  const clients = await Promise.all(
    Array.from({ length: 50 }, () => LineClient.open(server!.port)),
  );
  clients.forEach((c, i) => {
    for (let j = 0; j < 100; j++) c.send(`client ${i} line ${j}`);
  });
  for (const [i, c] of clients.entries()) {
    await c.waitFor(`client ${i} line 99`);
    expect(c.lines).toEqual(Array.from({ length: 100 }, (_, j) => `client ${i} line ${j}`));
  }
  for (const c of clients) c.close();
});
