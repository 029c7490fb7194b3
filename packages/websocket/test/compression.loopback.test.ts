// Autobahn sections 12 and 13: permessage-deflate echo against an independent zlib peer, for every
// message size and every negotiable parameter; and the hostile compressed inputs (a bomb, corrupt
// data, RSV1 misuse, bad UTF-8 inside), each with its close code.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { deflateRawSync } from "node:zlib";
import { type EchoServer, startEchoServer } from "./echo-server.ts";
import { clientFrame, closeFrame, openRaw } from "./raw-client.ts";
import { ReferenceDeflate, ReferenceInflate } from "./reference-zlib.ts";

let server: EchoServer;
beforeAll(async () => {
  server = await startEchoServer({
    upgrade: { deflate: {} },
    session: { maxMessageBytes: 1 << 20 },
  });
});
afterAll(() => server.stop());

interface Config {
  offer: string;
  /** The Sec-WebSocket-Extensions the server must answer. */
  answer: string;
  clientBits: number;
  clientTakeover: boolean;
  serverTakeover: boolean;
}

const base = "permessage-deflate";
const configs: Config[] = [
  { offer: base, answer: base, clientBits: 15, clientTakeover: true, serverTakeover: true },
  {
    offer: `${base}; server_no_context_takeover`,
    answer: `${base}; server_no_context_takeover`,
    clientBits: 15,
    clientTakeover: true,
    serverTakeover: false,
  },
  {
    offer: `${base}; client_no_context_takeover`,
    answer: `${base}; client_no_context_takeover`,
    clientBits: 15,
    clientTakeover: false,
    serverTakeover: true,
  },
  {
    offer: `${base}; server_no_context_takeover; client_no_context_takeover`,
    answer: `${base}; server_no_context_takeover; client_no_context_takeover`,
    clientBits: 15,
    clientTakeover: false,
    serverTakeover: false,
  },
  ...[9, 10, 11, 12, 13, 14, 15].map((bits) => ({
    offer: `${base}; server_max_window_bits=${bits}`,
    answer: `${base}; server_max_window_bits=${bits}`,
    clientBits: 15,
    clientTakeover: true,
    serverTakeover: true,
  })),
  ...[9, 10, 11, 12, 13, 14, 15].map((bits) => ({
    offer: `${base}; client_max_window_bits=${bits}`,
    answer: base,
    clientBits: bits,
    clientTakeover: true,
    serverTakeover: true,
  })),
  {
    offer: `${base}; client_max_window_bits`,
    answer: base,
    clientBits: 15,
    clientTakeover: true,
    serverTakeover: true,
  },
  {
    offer: `x-unknown, ${base}; bogus=1, ${base}`,
    answer: base,
    clientBits: 15,
    clientTakeover: true,
    serverTakeover: true,
  },
];
const SIZES = [16, 64, 256, 1024, 4096, 32768, 131072];
const MESSAGES_PER_CASE = 5;

/** Compressible but not trivial: words from a small vocabulary, seeded per message. */
function message(size: number, seed: number): string {
  const words = ["alpha", "beta", "gamma", "delta", "websocket", "frame", "κόσμε", "日本"];
  let text = "";
  let x = seed * 7919 + size;
  while (text.length < size) {
    x = (x * 1103515245 + 12345) >>> 0;
    text += `${words[x % words.length]} `;
  }
  return text.slice(0, size);
}

async function echoCompressed(config: Config, size: number, binary: boolean): Promise<void> {
  const raw = await openRaw(server.port, { extensions: config.offer });
  expect((await raw.result(0)).head.toLowerCase()).toContain(
    `sec-websocket-extensions: ${config.answer}`.toLowerCase(),
  );
  const deflate = new ReferenceDeflate(config.clientBits, config.clientTakeover);
  const inflate = new ReferenceInflate(config.serverTakeover);
  const sent: Uint8Array[] = [];
  for (let i = 0; i < MESSAGES_PER_CASE; i++) {
    const text = message(size, i % 2); // repeats, so context takeover has something to find
    const payload = new TextEncoder().encode(text);
    sent.push(payload);
    raw.send(clientFrame(binary ? 0x2 : 0x1, await deflate.compress(payload), { rsv: 4 }));
  }
  raw.send(closeFrame(1000));
  const result = await raw.result(5000);
  raw.end();
  deflate.close();
  const data = result.frames.filter((f) => f.opcode !== 0x8);
  expect({ count: data.length, close: result.closeCode }).toEqual({
    count: MESSAGES_PER_CASE,
    close: 1000,
  });
  for (const [i, frame] of data.entries()) {
    const payload = frame.rsv === 4 ? await inflate.decompress(frame.payload) : frame.payload;
    expect({
      opcode: frame.opcode,
      equal: Buffer.compare(payload, sent[i] as Uint8Array) === 0,
    }).toEqual({
      opcode: binary ? 0x2 : 0x1,
      equal: true,
    });
    if (size >= 256) expect(frame.rsv).toBe(4); // the server compressed its reply
  }
  inflate.close();
}

describe("12 compression, default parameters", () => {
  const cases = SIZES.flatMap((size, i) => [
    [`12.1.${i + 1} text messages of ${size} bytes`, size, false] as const,
    [`12.2.${i + 1} binary messages of ${size} bytes`, size, true] as const,
  ]);
  test.each(cases)("%s", async (_, size, binary) => {
    await echoCompressed(configs[0] as Config, size, binary);
  });
});

describe("13 compression parameters", () => {
  const cases = configs
    .slice(1)
    .flatMap((config, c) =>
      SIZES.map(
        (size, i) =>
          [`13.${c + 1}.${i + 1} ${config.offer}, ${size}-byte messages`, config, size] as const,
      ),
    );
  test.each(cases)("%s", async (_, config, size) => {
    await echoCompressed(config, size, false);
  });
});

describe("compression, hostile input", () => {
  const bombSize = 512 << 20; // 512 MiB of zeros deflate to about 500 KiB
  let bomb: Uint8Array;
  beforeAll(() => {
    const z = deflateRawSync(Buffer.alloc(bombSize), { finishFlush: 2 /* Z_SYNC_FLUSH */ });
    bomb = z.subarray(0, z.length - 4);
  });

  async function closeCodeFor(frames: Uint8Array[], offer = base): Promise<number | undefined> {
    const raw = await openRaw(server.port, { extensions: offer });
    for (const frame of frames) raw.send(frame);
    const result = await raw.result(5000);
    raw.end();
    expect(result.closed).toBe(true);
    return result.closeCode;
  }

  test("a compression bomb (512 MiB of zeros in under 1 MiB) is refused with 1009, memory bounded", async () => {
    expect(bomb.length).toBeLessThan(1 << 20);
    Bun.gc(true);
    const before = process.memoryUsage().rss;
    const codes = await Promise.all(
      Array.from({ length: 4 }, () => closeCodeFor([clientFrame(0x2, bomb, { rsv: 4 })])),
    );
    const grown = process.memoryUsage().rss - before;
    expect(codes).toEqual([1009, 1009, 1009, 1009]);
    // Four bombs inflated without a limit would take 2 GiB; each stops at the 1 MiB message limit.
    expect(grown).toBeLessThan(64 << 20);
  });

  test("corrupt deflate data gets 1007", async () => {
    expect(
      await closeCodeFor([clientFrame(0x1, Uint8Array.of(0xff, 0xff, 0xff), { rsv: 4 })]),
    ).toBe(1007);
  });

  test("compressed text that inflates to invalid UTF-8 gets 1007", async () => {
    const z = deflateRawSync(Buffer.from([0x41, 0xed, 0xa0, 0x80]), { finishFlush: 2 });
    expect(await closeCodeFor([clientFrame(0x1, z.subarray(0, z.length - 4), { rsv: 4 })])).toBe(
      1007,
    );
  });

  test("RSV1 on a continuation frame gets 1002", async () => {
    const frames = [clientFrame(0x1, "a", { fin: false }), clientFrame(0x0, "b", { rsv: 4 })];
    expect(await closeCodeFor(frames)).toBe(1002);
  });

  test("RSV1 on a ping gets 1002", async () => {
    expect(await closeCodeFor([clientFrame(0x9, "a", { rsv: 4 })])).toBe(1002);
  });

  test("RSV1 when the offer was declined gets 1002", async () => {
    expect(await closeCodeFor([clientFrame(0x1, "a", { rsv: 4 })], "x-other")).toBe(1002);
  });

  test("a compressed message fragmented over 3 frames is echoed", async () => {
    const deflate = new ReferenceDeflate();
    const z = await deflate.compress(
      new TextEncoder().encode("fragmented and compressed ".repeat(20)),
    );
    deflate.close();
    const third = Math.ceil(z.length / 3);
    const raw = await openRaw(server.port, { extensions: base });
    raw.send(clientFrame(0x1, z.subarray(0, third), { rsv: 4, fin: false }));
    raw.send(clientFrame(0x0, z.subarray(third, 2 * third), { fin: false }));
    raw.send(clientFrame(0x0, z.subarray(2 * third), { fin: true }));
    raw.send(closeFrame(1000));
    const result = await raw.result(3000);
    raw.end();
    const inflate = new ReferenceInflate();
    const reply = result.frames[0];
    expect(reply?.rsv).toBe(4);
    expect(
      new TextDecoder().decode(await inflate.decompress(reply?.payload ?? new Uint8Array())),
    ).toBe("fragmented and compressed ".repeat(20));
    inflate.close();
  });
});
