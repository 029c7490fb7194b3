// The defences framing gives every server: hold/proceed, the 2-byte prefix, stream mode, the
// per-address cap, progress deadlines no byte resets, the input budget and the stalled reader.
import { afterEach, describe, expect, test } from "bun:test";
import { type Socket as NetSocket, connect as netConnect } from "node:net";
import {
  bytes,
  type Connection,
  connect,
  encodeFrame,
  encodeFrame16,
  type FramingError,
  frames,
  LISTEN_DEFAULTS,
  type Listener,
  type LogEvent,
  lines,
  listen,
} from "../src/index.ts";
import { concat } from "./helpers.ts";

const servers: Listener<unknown, unknown>[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});
function track<I, O>(listener: Listener<I, O>): Listener<I, O> {
  servers.push(listener as unknown as Listener<unknown, unknown>);
  return listener;
}

/** A raw node:net client from a chosen loopback source address. */
function rawFrom(port: number, localAddress = "127.0.0.1"): Promise<NetSocket> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host: "127.0.0.1", port, localAddress }, () => resolve(s));
    s.on("error", reject);
  });
}

function closedWithin(socket: NetSocket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed || socket.readyState === "closed") return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Round trip of one line through an echo server, in ms. */
async function probe(port: number): Promise<number> {
  const client = await connect({ hostname: "127.0.0.1", port, protocol: lines() });
  const start = performance.now();
  client.send("ping");
  expect(await client.receive()).toBe("ping");
  const rtt = performance.now() - start;
  client.close();
  return rtt;
}

describe("hold() and proceed()", () => {
  test("later frames wait, in order, while a frame's work is pending; none is lost or copied twice", async () => {
    const handled: string[] = [];
    const server = track(
      listen<Uint8Array, Uint8Array | string>({
        port: 0,
        protocol: frames(),
        onMessage(conn, frame) {
          const text = new TextDecoder().decode(frame);
          handled.push(text);
          conn.hold(); // a "commit" that completes later
          setTimeout(() => {
            conn.send(`ok ${text}`);
            conn.proceed();
          }, 5);
        },
      }),
    );
    const client = await connect({ hostname: "127.0.0.1", port: server.port, protocol: frames() });
    const sent = Array.from({ length: 50 }, (_, i) => `post ${i}`);
    client.sendBytes(concat(sent.map((s) => encodeFrame(s)))); // one write, many frames
    const replies: string[] = [];
    for (let i = 0; i < sent.length; i++) {
      replies.push(new TextDecoder().decode(await client.receive()));
    }
    expect(handled).toEqual(sent);
    expect(replies).toEqual(sent.map((s) => `ok ${s}`));
    client.close();
  });

  test("a FIN while held is processed after the held frames are handled", async () => {
    const handled: string[] = [];
    let ended = false;
    const server = track(
      listen<Uint8Array, Uint8Array | string>({
        port: 0,
        protocol: frames(),
        onMessage(conn, frame) {
          handled.push(new TextDecoder().decode(frame));
          conn.hold();
          setTimeout(() => {
            conn.send("done");
            conn.proceed();
          }, 20);
        },
        onEnd() {
          ended = true;
        },
      }),
    );
    const raw = await rawFrom(server.port);
    const received: Buffer[] = [];
    raw.on("data", (d: Buffer) => received.push(d));
    raw.end(Buffer.from(concat([encodeFrame("a"), encodeFrame("b"), encodeFrame("c")])));
    expect(await closedWithin(raw, 2000)).toBe(true);
    expect(handled).toEqual(["a", "b", "c"]);
    expect(ended).toBe(true);
    expect(Buffer.concat(received).length).toBe(3 * (4 + 4)); // three "done" frames
  });

  test("frames held back stay undecoded: no copy per frame, decoded in order on proceed()", async () => {
    const delivered: Uint8Array[] = [];
    let heldBytes = -1;
    const server = track(
      listen<Uint8Array, Uint8Array | string>({
        port: 0,
        protocol: frames(),
        onMessage(conn, frame) {
          delivered.push(frame);
          if (delivered.length > 1) return; // the rest go through at once
          conn.hold();
          setTimeout(() => {
            heldBytes = conn.heldInputBytes;
            conn.proceed();
            conn.send("done");
          }, 50);
        },
      }),
    );
    const client = await connect({ hostname: "127.0.0.1", port: server.port, protocol: frames() });
    const sent = Array.from({ length: 20 }, (_, i) => `frame ${i}`);
    client.sendBytes(concat(sent.map((s) => encodeFrame(s)))); // one write: one chunk, held whole
    expect(new TextDecoder().decode(await client.receive())).toBe("done");
    // 19 frames of 4 + 7..8 bytes were held: exactly their bytes, nothing decoded meanwhile.
    expect(heldBytes).toBe(concat(sent.slice(1).map((s) => encodeFrame(s))).length);
    expect(delivered.map((f) => new TextDecoder().decode(f))).toEqual(sent);
    // The held frames were decoded on proceed() as views of one kept buffer, not copied one by one.
    const later = delivered.slice(1);
    expect(later.every((f) => f.buffer === later[0]?.buffer)).toBe(true);
    client.close();
  });

  test("a stream that ends inside a frame, behind held frames: they are handled, then TRUNCATED_FRAME", async () => {
    const handled: string[] = [];
    let closeError: Error | undefined;
    const server = track(
      listen<Uint8Array, Uint8Array | string>({
        port: 0,
        protocol: frames(),
        onMessage(conn, frame) {
          handled.push(new TextDecoder().decode(frame));
          conn.hold();
          setTimeout(() => conn.proceed(), 10);
        },
        onClose(_conn, error) {
          closeError = error;
        },
      }),
    );
    const raw = await rawFrom(server.port);
    const whole = concat([encodeFrame("a"), encodeFrame("b"), encodeFrame("c")]);
    raw.end(Buffer.from(concat([whole, encodeFrame("truncated").subarray(0, 7)])));
    expect(await closedWithin(raw, 2000)).toBe(true);
    expect(handled).toEqual(["a", "b", "c"]);
    expect((closeError as FramingError | undefined)?.code).toBe("TRUNCATED_FRAME");
  });

  test("reading pauses past maxHeldInputBytes and resumes after proceed()", async () => {
    let release: (() => void) | undefined;
    let count = 0;
    const server = track(
      listen<Uint8Array, Uint8Array | string>({
        port: 0,
        protocol: frames({ maxFrameBytes: 1 << 20 }),
        maxHeldInputBytes: 256 * 1024,
        onMessage(conn) {
          count++;
          if (count === 1) {
            conn.hold();
            release = () => conn.proceed();
          }
        },
      }),
    );
    const client = await connect({ hostname: "127.0.0.1", port: server.port, protocol: frames() });
    const frame = new Uint8Array(64 * 1024);
    for (let i = 0; i < 64; i++) client.send(frame); // 4 MiB behind the hold
    await Bun.sleep(300);
    const held = [...server.connections][0]!.heldInputBytes;
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThan(1 << 20); // bounded near maxHeldInputBytes, not 4 MiB
    release?.();
    for (let i = 0; i < 100 && count < 64; i++) await Bun.sleep(20);
    expect(count).toBe(64);
    client.close();
  });
});

describe("2-byte length prefix (DNS over TCP)", () => {
  test("frames with a u16 prefix, split anywhere, round trip", async () => {
    const server = track(
      listen<Uint8Array, Uint8Array | string>({
        port: 0,
        protocol: frames({ prefixBytes: 2 }),
        onMessage: (c, m) => c.send(m),
      }),
    );
    const client = await connect({
      hostname: "127.0.0.1",
      port: server.port,
      protocol: frames({ prefixBytes: 2 }),
    });
    const big = new Uint8Array(65535).map((_, i) => i & 0xff);
    client.send(big);
    client.send("");
    expect(await client.receive()).toEqual(big);
    expect((await client.receive())?.length).toBe(0);
    expect(encodeFrame16("ab")).toEqual(new Uint8Array([0, 2, 97, 98]));
    expect(() => encodeFrame16(new Uint8Array(65536))).toThrow(/2-byte/);
    client.close();
  });
});

describe("bytes() stream mode", () => {
  test("chunks reach the parser as they arrive; reportPartialInput drives the deadline", async () => {
    const server = track(
      listen<Uint8Array, Uint8Array | string>({
        port: 0,
        protocol: bytes(),
        messageTimeoutMs: 300,
        onMessage(conn, chunk) {
          // A toy parser: a message is everything up to "!".
          const text = new TextDecoder().decode(chunk);
          if (text.includes("!")) {
            conn.reportPartialInput(0);
            conn.send("got it");
          } else {
            conn.reportPartialInput(chunk.length);
          }
        },
      }),
    );
    const quick = await rawFrom(server.port);
    const answers: string[] = [];
    quick.on("data", (d) => answers.push(d.toString()));
    quick.write("hello!");
    await Bun.sleep(100);
    expect(answers.join("")).toBe("got it");
    const slow = await rawFrom(server.port);
    slow.write("never ends");
    const timer = setInterval(() => slow.writable && slow.write("."), 50); // bytes keep coming
    expect(await closedWithin(slow, 1500)).toBe(true);
    clearInterval(timer);
    quick.destroy();
  });
});

describe("what HTTP needs from stream mode", () => {
  test("onMessageTimeout words a last reply (a 408) before the deadline closes the peer", async () => {
    const server = track(
      listen<Uint8Array, Uint8Array | string>({
        port: 0,
        protocol: bytes(),
        messageTimeoutMs: 200,
        onMessage: (conn, chunk) => conn.reportPartialInput(chunk.length),
        onMessageTimeout: () => "408 too slow\n",
      }),
    );
    const slow = await rawFrom(server.port);
    let got = "";
    slow.on("data", (d) => {
      got += d.toString();
    });
    slow.write("GET / HT");
    expect(await closedWithin(slow, 1500)).toBe(true);
    expect(got).toBe("408 too slow\n");
  });

  test("hold() in onEnd keeps a half-closed peer open until proceed(): the late reply arrives", async () => {
    const server = track(
      listen<Uint8Array, Uint8Array | string>({
        port: 0,
        protocol: bytes(),
        onMessage(conn) {
          // the reply is worked on for a while (an async handler)
          setTimeout(() => {
            conn.send("late reply");
            conn.proceed();
          }, 150);
        },
        onEnd: (conn) => conn.hold(),
      }),
    );
    const client = await rawFrom(server.port);
    let got = "";
    client.on("data", (d) => {
      got += d.toString();
    });
    client.end("question"); // FIN right after the request
    expect(await closedWithin(client, 2000)).toBe(true);
    expect(got).toBe("late reply");
  });

  test("setIdleTimeout changes the patience from now; 0 turns it off", async () => {
    const server = track(
      listen<Uint8Array, Uint8Array | string>({
        port: 0,
        protocol: bytes(),
        idleTimeoutMs: 200,
        onMessage(conn, chunk) {
          const text = new TextDecoder().decode(chunk);
          conn.setIdleTimeout(text === "patient" ? 0 : 600);
        },
      }),
    );
    const patient = await rawFrom(server.port);
    const longer = await rawFrom(server.port);
    const silent = await rawFrom(server.port);
    const start = performance.now();
    patient.write("patient");
    longer.write("longer");
    expect(await closedWithin(silent, 1000)).toBe(true);
    expect(await closedWithin(longer, 2000)).toBe(true);
    expect(performance.now() - start).toBeGreaterThan(550);
    expect(await closedWithin(patient, 300)).toBe(false);
    patient.destroy();
    silent.destroy();
  });
});

describe("listen() defences", () => {
  test("the per-address cap refuses one address's excess while another address is served", async () => {
    const events: LogEvent[] = [];
    const server = track(
      listen<string, string>({
        port: 0,
        protocol: lines(),
        maxConnectionsPerAddress: 5,
        rejectMessage: "error too many connections",
        log: (e) => events.push(e),
        onMessage: (c, m) => c.send(m),
      }),
    );
    const flood = await Promise.all(
      Array.from({ length: 20 }, () => rawFrom(server.port, "127.0.0.2")),
    );
    await Bun.sleep(100);
    expect(server.connections.size).toBe(5);
    expect(events.filter((e) => e.reason === "per-address cap").length).toBe(15);
    expect(await probe(server.port)).toBeLessThan(100);
    for (const s of flood) s.destroy();
  });

  test("one byte every 100 ms does not keep a partial line alive past its deadline", async () => {
    const server = track(
      listen<string, string>({
        port: 0,
        protocol: lines(),
        messageTimeoutMs: 500,
        onMessage: (c, m) => c.send(m),
      }),
    );
    const attacker = await rawFrom(server.port, "127.0.0.3");
    const start = performance.now();
    const timer = setInterval(() => attacker.writable && attacker.write("x"), 100);
    expect(await closedWithin(attacker, 3000)).toBe(true);
    clearInterval(timer);
    const took = performance.now() - start;
    expect(took).toBeGreaterThan(450);
    expect(took).toBeLessThan(1500); // deadline + sweep interval + allowance for a few bytes
    expect(await probe(server.port)).toBeLessThan(100);
  });

  test("a big frame at a sane rate completes: the deadline grows with the bytes received", async () => {
    const server = track(
      listen<Uint8Array, Uint8Array | string>({
        port: 0,
        protocol: frames({ maxFrameBytes: 1 << 20 }),
        messageTimeoutMs: 300,
        minInputBytesPerSecond: 16 * 1024,
        onMessage: (c, m) => c.send(String(m.length)),
      }),
    );
    const client = await connect({ hostname: "127.0.0.1", port: server.port, protocol: frames() });
    const frame = encodeFrame(new Uint8Array(40 * 1024));
    // 40 KiB over ~1 s (40 KiB/s, above the 16 KiB/s floor): longer than the 300 ms base.
    for (let at = 0; at < frame.length; at += 4096) {
      client.sendBytesNow(frame.subarray(at, at + 4096));
      await Bun.sleep(100);
    }
    expect(new TextDecoder().decode(await client.receive())).toBe(String(40 * 1024));
    client.close();
  });

  test("the input budget closes the connections holding the most partial input first", async () => {
    const server = track(
      listen<Uint8Array, Uint8Array | string>({
        port: 0,
        protocol: frames({ maxFrameBytes: 1 << 20 }),
        maxConnectionsPerAddress: 0,
        maxBufferedInputBytes: 1 << 20,
        onMessage: (c, m) => c.send(m),
      }),
    );
    const small = await rawFrom(server.port);
    small.write(Buffer.from([0, 0, 0, 100, 1, 2, 3])); // 3 bytes of a 100-byte frame
    const big = await Promise.all(Array.from({ length: 6 }, () => rawFrom(server.port)));
    const header = Buffer.from([0, 4, 0, 0]); // 256 KiB frame
    for (const s of big) s.write(Buffer.concat([header, Buffer.alloc(200 * 1024)]));
    await Bun.sleep(300);
    const closedBig = await Promise.all(big.map((s) => closedWithin(s, 500)));
    expect(closedBig.filter(Boolean).length).toBeGreaterThanOrEqual(1);
    expect(closedBig.filter((c) => !c).length * 200 * 1024).toBeLessThanOrEqual(1 << 20);
    expect(await closedWithin(small, 100)).toBe(false); // the small holder stays
    for (const s of [small, ...big]) s.destroy();
  });

  test("a reader that stops reading is closed after sendTimeoutMs, with one warn line", async () => {
    const events: LogEvent[] = [];
    let errorCode: string | undefined;
    const server = track(
      listen<string, string>({
        port: 0,
        protocol: lines(),
        stallQueuedBytes: 16 * 1024,
        sendTimeoutMs: 500,
        log: (e) => events.push(e),
        maxQueuedBytes: 64 << 20,
        onMessage(conn: Connection<string, string>) {
          // A feed: 64 KiB every 10 ms, until the paused reader's socket buffers are full.
          const line = "x".repeat(1023);
          const feed = setInterval(() => {
            if (conn.isClosed) return clearInterval(feed);
            for (let i = 0; i < 64; i++) conn.send(line);
          }, 10);
        },
        onClose(_c, error) {
          errorCode = (error as FramingError | undefined)?.code;
        },
      }),
    );
    // A Bun socket paused at open reads nothing: the kernel's buffers fill, then our queue grows.
    let closed!: () => void;
    const gone = new Promise<boolean>((resolve) => {
      closed = () => resolve(true);
      setTimeout(() => resolve(false), 5000);
    });
    const reader = await Bun.connect({
      hostname: "127.0.0.1",
      port: server.port,
      socket: { open: (s) => s.pause(), data() {}, close: () => closed() },
    });
    reader.write("give\n");
    const start = performance.now();
    expect(await gone).toBe(true);
    expect(performance.now() - start).toBeLessThan(4000);
    expect(errorCode).toBe("SEND_TIMEOUT");
    expect(events.filter((e) => e.level === "warn" && e.reason === "SEND_TIMEOUT").length).toBe(1);
  });

  test("an idle peer is closed after idleTimeoutMs (on by default for servers)", async () => {
    expect(LISTEN_DEFAULTS.idleTimeoutMs).toBeGreaterThan(0);
    const server = track(
      listen({ port: 0, protocol: lines(), idleTimeoutMs: 300, onMessage() {} }),
    );
    const idle = await rawFrom(server.port);
    const start = performance.now();
    expect(await closedWithin(idle, 1500)).toBe(true);
    expect(performance.now() - start).toBeGreaterThan(250);
  });
});
