import { afterEach, describe, expect, test } from "bun:test";
import {
  type Connection,
  connect,
  encodeFrame,
  FrameDecoder,
  frames,
  type Listener,
  lines,
  listen,
} from "../src/index.ts";
import { concat, utf8 } from "./helpers.ts";

const servers: Listener<unknown, unknown>[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});
function track<I, O>(listener: Listener<I, O>): Listener<I, O> {
  servers.push(listener as unknown as Listener<unknown, unknown>);
  return listener;
}

/** A raw Bun client (not our helper) that records every chunk it receives. */
async function rawClient(port: number, options: { paused?: boolean } = {}) {
  const chunks: Uint8Array[] = [];
  let ended!: () => void;
  const closed = new Promise<void>((resolve) => {
    ended = resolve;
  });
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      binaryType: "uint8array",
      open(s) {
        if (options.paused) s.pause();
      },
      data(_s, chunk) {
        chunks.push(chunk.slice());
      },
      close() {
        ended();
      },
    },
  });
  return { socket, chunks, closed, bytes: () => concat(chunks) };
}

describe("Connection over loopback", () => {
  test("echoes frames of every size, zero-length and multi-megabyte included", async () => {
    const server = track(
      listen({
        port: 0,
        protocol: frames({ maxFrameBytes: 4 << 20 }),
        maxQueuedBytes: 16 << 20,
        onMessage: (c, m) => c.send(m),
      }),
    );
    const client = await connect({
      hostname: "127.0.0.1",
      port: server.port,
      protocol: frames({ maxFrameBytes: 4 << 20 }),
      maxQueuedBytes: 16 << 20,
    });
    const big = Uint8Array.from({ length: 3 << 20 }, (_, i) => (i * 7) & 0xff);
    const sent = [utf8("hello"), new Uint8Array(0), big, utf8("after")];
    for (const m of sent) client.send(m);
    const got = [];
    for (let i = 0; i < sent.length; i++) got.push(await client.receive());
    expect(got).toEqual(sent);
    expect(client.stats.messagesIn).toBe(4);
    expect(client.stats.bytesOut).toBe(sent.reduce((n, m) => n + 4 + m.length, 0));
    client.close();
    await client.closed;
  });

  test("sends of one turn leave in one socket write (coalescing)", async () => {
    const server = track(
      listen({
        port: 0,
        protocol: lines(),
        onMessage: (c, _m) => {
          for (let i = 0; i < 1000; i++) c.send(`line ${i}`);
        },
      }),
    );
    const raw = await rawClient(server.port);
    raw.socket.write("go\n");
    const expected = Array.from({ length: 1000 }, (_, i) => `line ${i}\n`).join("");
    for (let i = 0; i < 200 && new TextDecoder().decode(raw.bytes()) !== expected; i++) {
      await Bun.sleep(5);
    }
    expect(new TextDecoder().decode(raw.bytes())).toBe(expected);
    const [connection] = server.connections;
    expect(connection?.stats.messagesOut).toBe(1000);
    expect(raw.chunks.length).toBeLessThan(10); // ~9.9 KB arrives in one or two reads, not 1000
    raw.socket.end();
  });

  test("sendBytesNow writes at once, after anything queued, and queues what the kernel refuses", async () => {
    const big = new Uint8Array(4 << 20).fill(0x78); // far more than a socket buffer takes
    big[big.length - 1] = 0x0a;
    const server = track(
      listen({
        port: 0,
        protocol: lines({ maxLineBytes: 16 << 20 }),
        maxQueuedBytes: 16 << 20,
        onMessage: (c, m) => {
          if (m !== "go") return;
          c.send("first"); // queued for the end of the turn
          expect(c.sendBytesNow(utf8("second\n"))).toBe(true); // goes behind it, in order
          expect(c.queuedBytes).toBe(13);
        },
      }),
    );
    const raw = await rawClient(server.port);
    raw.socket.write("go\n");
    for (let i = 0; i < 200 && raw.bytes().length < 13; i++) await Bun.sleep(5);
    expect(new TextDecoder().decode(raw.bytes())).toBe("first\nsecond\n");
    const [conn] = server.connections as Set<Connection<string, string>>;
    // Nothing queued: written straight away, before the turn ends.
    expect(conn?.sendBytesNow(utf8("third\n"))).toBe(true);
    expect(conn?.queuedBytes).toBe(0);
    // More than the kernel takes: the rest is queued and leaves on drain, intact.
    expect(conn?.sendBytesNow(big)).toBe(true);
    expect(conn?.queuedBytes).toBeGreaterThan(0);
    await conn?.drained();
    const received = () => raw.chunks.reduce((n, c) => n + c.length, 0);
    for (let i = 0; i < 400 && received() < 19 + big.length; i++) await Bun.sleep(5);
    const got = raw.bytes();
    expect(got.length).toBe(19 + big.length);
    expect(new TextDecoder().decode(got.subarray(0, 19))).toBe("first\nsecond\nthird\n");
    expect(got.subarray(19).every((b, i) => b === big[i])).toBe(true);
    expect(conn?.stats.messagesOut).toBe(4);
    raw.socket.end();
  });

  test("sendBytesNow to a peer that does not read overflows its queue and closes it", async () => {
    const server = track(
      listen({ port: 0, protocol: frames(), maxQueuedBytes: 256 * 1024, onMessage() {} }),
    );
    const slow = await rawClient(server.port, { paused: true });
    while (server.connections.size < 1) await Bun.sleep(1);
    const [conn] = [...server.connections] as Connection<Uint8Array, Uint8Array>[];
    const chunk = new Uint8Array(64 * 1024);
    let accepted = 0;
    for (let i = 0; i < 1000 && conn?.sendBytesNow(chunk); i++) accepted++;
    expect(accepted).toBeLessThan(1000);
    expect(conn?.isClosed || conn?.error !== undefined).toBe(true);
    expect(conn?.error).toMatchObject({ code: "QUEUE_OVERFLOW" });
    slow.socket.end();
  });

  test("request/response with receive(), like the seed's receive_message", async () => {
    const server = track(
      listen({
        port: 0,
        protocol: frames(),
        async onConnection(c) {
          c.send("BANNER 1.0");
          for await (const frame of c) c.send(`you said ${new TextDecoder().decode(frame)}`);
        },
      }),
    );
    const client = await connect({ hostname: "127.0.0.1", port: server.port, protocol: frames() });
    expect(new TextDecoder().decode(await client.receive())).toBe("BANNER 1.0");
    client.send("a");
    client.send("b");
    expect(new TextDecoder().decode(await client.receive())).toBe("you said a");
    expect(new TextDecoder().decode(await client.receive())).toBe("you said b");
    client.shutdown(); // half-close: the server's loop ends, then it closes its side
    expect(await client.receive()).toBeUndefined();
    await client.closed;
  });

  test("a slow reader overflows its queue and is dropped; the others keep receiving", async () => {
    const server = track(
      listen({ port: 0, protocol: frames(), maxQueuedBytes: 256 * 1024, onMessage() {} }),
    );
    const slow = await rawClient(server.port, { paused: true });
    const fast = await connect({ hostname: "127.0.0.1", port: server.port, protocol: frames() });
    while (server.connections.size < 2) await Bun.sleep(1);
    const [slowConn, fastConn] = [...server.connections] as Connection<Uint8Array, Uint8Array>[];
    const payload = new Uint8Array(16 * 1024);
    let delivered = 0;
    for (let round = 0; round < 400 && !slowConn?.isClosed; round++) {
      slowConn?.send(payload);
      fastConn?.send(payload);
      const frame = await fast.receive();
      if (frame?.length === payload.length) delivered++;
    }
    expect(slowConn?.isClosed).toBe(true);
    expect(slowConn?.error).toMatchObject({ code: "QUEUE_OVERFLOW" });
    fastConn?.send(utf8("still here"));
    expect(new TextDecoder().decode(await fast.receive())).toBe("still here");
    expect(delivered).toBeGreaterThan(16);
    fast.close();
    slow.socket.end();
  });

  test("a peer announcing an oversize frame is closed before its payload is buffered", async () => {
    const closes: Error[] = [];
    const server = track(
      listen({
        port: 0,
        protocol: frames({ maxFrameBytes: 1024 }),
        onMessage: (c, m) => c.send(m),
        onClose: (_c, e) => e && closes.push(e),
      }),
    );
    const raw = await rawClient(server.port);
    raw.socket.write(concat([encodeFrame("fine"), Uint8Array.of(0x7f, 0xff, 0xff, 0xff)]));
    await raw.closed;
    const decoder = new FrameDecoder();
    expect(decoder.push(raw.bytes())).toEqual([utf8("fine")]); // the good frame was answered
    expect(closes[0]).toMatchObject({ code: "FRAME_TOO_LARGE", size: 0x7fffffff, limit: 1024 });
  });

  test("an over-long line can be dropped while the connection stays open", async () => {
    const server = track(
      listen({
        port: 0,
        protocol: lines({ maxLineBytes: 16, oversize: "drop" }),
        onMessage: (c, m) => c.send(`ok ${m}`),
        onRecoverableError: (c, e) => c.send(`error ${e.code}`),
      }),
    );
    const client = await connect({ hostname: "127.0.0.1", port: server.port, protocol: lines() });
    client.sendBytes(utf8(`short\n${"x".repeat(100)}\nafter\n`));
    expect(await client.receive()).toBe("ok short");
    expect(await client.receive()).toBe("error LINE_TOO_LONG");
    expect(await client.receive()).toBe("ok after");
    client.close();
  });

  test("a half-closed client still gets every reply", async () => {
    const server = track(
      listen({ port: 0, protocol: lines(), onMessage: (c, m) => c.send(m.toUpperCase()) }),
    );
    const raw = await rawClient(server.port);
    raw.socket.write("one\ntwo\nlast without newline");
    raw.socket.shutdown();
    await raw.closed;
    expect(new TextDecoder().decode(raw.bytes())).toBe("ONE\nTWO\nLAST WITHOUT NEWLINE\n");
  });

  test("an idle peer is closed after idleTimeoutMs", async () => {
    const server = track(
      listen({ port: 0, protocol: lines(), idleTimeoutMs: 150, onMessage() {} }),
    );
    const raw = await rawClient(server.port);
    const started = performance.now();
    await raw.closed;
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
  });

  test("the connection cap refuses extra peers with a message", async () => {
    const server = track(
      listen({
        port: 0,
        protocol: lines(),
        maxConnections: 1,
        rejectMessage: "busy",
        onMessage() {},
      }),
    );
    const first = await rawClient(server.port);
    const second = await rawClient(server.port);
    await second.closed;
    expect(new TextDecoder().decode(second.bytes())).toBe("busy\n");
    expect(server.connections.size).toBe(1);
    first.socket.end();
  });

  test("drained() lets a bulk sender stay under the queue limit", async () => {
    const count = 20_000;
    const server = track(
      listen({
        port: 0,
        protocol: frames(),
        maxQueuedBytes: 64 * 1024,
        async onConnection(c) {
          for (let i = 0; i < count; i++) {
            c.send(`post number ${i} with some text to make it longer`);
            if (c.queuedBytes > 32 * 1024) await c.drained();
          }
        },
      }),
    );
    const client = await connect({ hostname: "127.0.0.1", port: server.port, protocol: frames() });
    let n = 0;
    for await (const frame of client) {
      expect(new TextDecoder().decode(frame)).toStartWith(`post number ${n} `);
      n++;
    }
    expect(n).toBe(count);
  });

  test("stop() closes every peer and frees the port", async () => {
    const server = listen({ port: 0, protocol: lines(), onMessage() {} });
    const raw = await rawClient(server.port);
    await server.stop();
    await raw.closed;
    expect(
      connect({ hostname: "127.0.0.1", port: server.port, protocol: lines() }),
    ).rejects.toThrow();
  });
});

describe("onEnd", () => {
  test("runs after the last message and before the push-mode close, so held output goes out", async () => {
    const held = new Map<Connection<string, string>, string[]>();
    const server = track(
      listen<string, string>({
        port: 0,
        protocol: lines(),
        onMessage: (c, m) => {
          const list = held.get(c) ?? [];
          list.push(m);
          held.set(c, list); // held back, as a batching server would
        },
        onEnd: (c) => {
          for (const m of held.get(c) ?? []) c.send(`late ${m}`);
        },
      }),
    );
    const client = await connect({ hostname: "127.0.0.1", port: server.port, protocol: lines() });
    client.send("a");
    client.send("b");
    client.shutdown();
    expect(await client.receive()).toBe("late a");
    expect(await client.receive()).toBe("late b");
    expect(await client.receive()).toBeUndefined();
  });
});

test("one turn's output above maxQueuedBytes reaches a peer that reads", async () => {
  const server = track(
    listen({
      port: 0,
      protocol: frames(),
      maxQueuedBytes: 64 * 1024,
      onMessage: (c) => {
        for (let i = 0; i < 16; i++) c.send(new Uint8Array(16 * 1024)); // 256 KiB in one turn
      },
    }),
  );
  const client = await connect({ hostname: "127.0.0.1", port: server.port, protocol: frames() });
  client.send("go");
  for (let i = 0; i < 16; i++) expect((await client.receive())?.length).toBe(16 * 1024);
  client.close();
});
