// Framing benchmark: streaming decode/encode speed, and framed echo vs raw Bun TCP echo.
// Prints a table, then one JSON line. Loopback only; bounded to a few seconds.
import type { Socket, SocketHandler } from "bun";
import { connect, encodeFrame, FrameDecoder, frames, listen } from "../src/index.ts";

const CHUNK = 64 * 1024;

function bestOf<T extends number>(runs: number, fn: () => T): T {
  let best = 0 as T;
  for (let i = 0; i < runs; i++) best = Math.max(best, fn()) as T;
  return best;
}

/** A stream of `count` frames of `size` bytes, cut into 64 KiB chunks. */
function chunkedStream(size: number, count: number): Uint8Array[] {
  const frame = encodeFrame(new Uint8Array(size).fill(7));
  const stream = new Uint8Array(frame.length * count);
  for (let i = 0; i < count; i++) stream.set(frame, i * frame.length);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < stream.length; at += CHUNK) chunks.push(stream.slice(at, at + CHUNK));
  return chunks;
}

function decodeRate(size: number, count: number): { fps: number; mbps: number } {
  const chunks = chunkedStream(size, count);
  let fps = 0;
  for (let run = 0; run < 5; run++) {
    const decoder = new FrameDecoder();
    let n = 0;
    const t0 = performance.now();
    for (const chunk of chunks) n += decoder.push(chunk).length;
    const seconds = (performance.now() - t0) / 1000;
    if (n !== count) throw new Error(`decoded ${n} of ${count}`);
    fps = Math.max(fps, count / seconds);
  }
  return { fps, mbps: (fps * size) / 1e6 };
}

function encodeRate(size: number, count: number): number {
  const payload = new Uint8Array(size).fill(1);
  return bestOf(5, () => {
    const t0 = performance.now();
    let sink = 0;
    for (let i = 0; i < count; i++) sink += encodeFrame(payload).length;
    if (sink === 0) throw new Error("unreachable");
    return count / ((performance.now() - t0) / 1000);
  });
}

/** Sends `total` bytes as `pieces` through an echo, at most `window` bytes in flight. */
async function pump(
  send: (piece: Uint8Array) => void,
  received: () => number,
  piece: Uint8Array,
  total: number,
  perPieceOverhead: number,
): Promise<number> {
  const window = 4 << 20;
  const pieceBytes = piece.length + perPieceOverhead;
  let sent = 0;
  const t0 = performance.now();
  while (sent < total) {
    while (sent < total && sent - received() < window) {
      send(piece);
      sent += pieceBytes;
    }
    await new Promise((r) => setImmediate(r));
  }
  while (received() < sent) await new Promise((r) => setImmediate(r));
  return sent / 1e6 / ((performance.now() - t0) / 1000);
}

async function framedEcho(pieceSize: number, total: number): Promise<number> {
  const server = listen({
    port: 0,
    protocol: frames(),
    maxQueuedBytes: 64 << 20,
    onMessage: (c, m) => c.send(m),
  });
  let got = 0;
  const client = await connect({
    hostname: "127.0.0.1",
    port: server.port,
    protocol: frames(),
    maxQueuedBytes: 64 << 20,
    onMessage: (_c, m) => {
      got += m.length + 4;
    },
  });
  const piece = new Uint8Array(pieceSize).fill(3);
  const mbps = await pump(
    (p) => client.send(p),
    () => got,
    piece,
    total,
    4,
  );
  client.close();
  await server.stop();
  return mbps;
}

/** The peer: plain Bun sockets, no framing, the same queue-on-partial-write discipline. */
async function rawEcho(pieceSize: number, total: number): Promise<number> {
  type Q = { queue: Uint8Array[] };
  const flush = (s: Socket<Q>) => {
    const q = s.data.queue;
    while (q.length > 0) {
      const head = q[0]!;
      const n = s.write(head);
      if (n < 0) return;
      if (n < head.length) {
        q[0] = head.subarray(n);
        return;
      }
      q.shift();
    }
  };
  const write = (s: Socket<Q>, bytes: Uint8Array) => {
    s.data.queue.push(bytes);
    if (s.data.queue.length === 1) flush(s);
  };
  const serverHandler = {
    binaryType: "uint8array",
    open: (s: Socket<Q>) => {
      s.data = { queue: [] };
    },
    data: (s: Socket<Q>, chunk: Uint8Array) => write(s, chunk.slice()),
    drain: flush,
  };
  const server = Bun.listen<Q>({
    hostname: "127.0.0.1",
    port: 0,
    data: { queue: [] },
    socket: serverHandler as unknown as SocketHandler<Q>,
  });
  let got = 0;
  const clientHandler = {
    binaryType: "uint8array",
    data: (_s: Socket<Q>, chunk: Uint8Array) => {
      got += chunk.length;
    },
    drain: flush,
  };
  const client = await Bun.connect<Q>({
    hostname: "127.0.0.1",
    port: server.port,
    data: { queue: [] },
    socket: clientHandler as unknown as SocketHandler<Q>,
  });
  const piece = new Uint8Array(pieceSize).fill(3);
  const mbps = await pump(
    (p) => write(client, p),
    () => got,
    piece,
    total,
    0,
  );
  client.end();
  server.stop(true);
  return mbps;
}

const decode16 = decodeRate(16, 2_000_000);
const decode64k = decodeRate(64 * 1024, 8_000);
const encode16 = encodeRate(16, 2_000_000);
const ECHO_PIECE = 16 * 1024;
const ECHO_TOTAL = 512 << 20;
let framed = 0;
let raw = 0;
for (let run = 0; run < 3; run++) {
  // Alternate so both see the same machine state.
  raw = Math.max(raw, await rawEcho(ECHO_PIECE, ECHO_TOTAL));
  framed = Math.max(framed, await framedEcho(ECHO_PIECE, ECHO_TOTAL));
}

const results = {
  decode_16b_fps: Math.round(decode16.fps),
  decode_64k_MBps: Math.round(decode64k.mbps),
  encode_16b_fps: Math.round(encode16),
  echo_framed_MBps: Math.round(framed),
  echo_raw_MBps: Math.round(raw),
  echo_ratio: Number((framed / raw).toFixed(3)),
};
const targets: Record<string, string> = {
  decode_16b_fps: ">= 5,000,000",
  decode_64k_MBps: ">= 2,000",
  echo_ratio: ">= 0.9",
};
console.log("metric               value          target");
for (const [key, value] of Object.entries(results)) {
  console.log(`${key.padEnd(20)} ${String(value).padStart(12)}   ${targets[key] ?? ""}`);
}
console.log(JSON.stringify({ bench: "framing", bun: Bun.version, ...results }));
