// Bench load generator (one process, pinned to one core by bench.ts): N raw WebSocket clients on
// Bun.connect (a small frame reader of its own, so all three servers meet the same client), a few
// of which send timestamped ~64-byte text messages at a steady combined rate chosen so that
// messages × receivers (every client, the sender too) = the offered deliveries per second.
// Measures deliveries and latency, reads the server's CPU time from /proc. Prints one JSON line.
import { parseArgs } from "node:util";
import { cpuTimes, LatencySamples, paceSends } from "@netkit/testkit";
import type { Socket } from "bun";
import { encodeFrame, FrameOpcode } from "../src/codec.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    clients: { type: "string", default: "500" },
    senders: { type: "string", default: "8" },
    "deliveries-per-second": { type: "string", default: "200000" },
    seconds: { type: "string", default: "5" },
    "warmup-seconds": { type: "string", default: "1" },
    "server-pid": { type: "string" },
  },
});
const port = Number(values.port);
const clientCount = Number(values.clients);
const senderCount = Math.min(clientCount, Number(values.senders));
const offered = Number(values["deliveries-per-second"]);
const seconds = Number(values.seconds);
const warmupSeconds = Number(values["warmup-seconds"]);
const serverPid = Number(values["server-pid"]);

interface Client {
  isOpen: boolean;
  head: string;
  tail: Uint8Array | null;
  opened: () => void;
  failed: (error: Error) => void;
}

const samples = new LatencySamples();
/** Only messages stamped inside the measured window count (not the warm-up's). */
let windowStartUs = Number.POSITIVE_INFINITY;
let windowEndUs = Number.POSITIVE_INFINITY;
let delivered = 0;
let lastRxMs = performance.now();
let controlFrames = 0;

const T = 0x54;

/** Reads whole server frames (unmasked) from `bytes`; returns the offset of an incomplete one. */
function readFrames(socket: Socket<Client>, bytes: Uint8Array, nowMs: number): number {
  let at = 0;
  while (bytes.length - at >= 2) {
    const opcode = bytes[at]! & 0x0f;
    let length = bytes[at + 1]! & 0x7f;
    let header = 2;
    if (length === 126) {
      if (bytes.length - at < 4) break;
      length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
      header = 4;
    } else if (length === 127) {
      if (bytes.length - at < 10) break;
      length = new DataView(bytes.buffer, bytes.byteOffset + at + 2, 8).getUint32(4);
      header = 10;
    }
    if (bytes.length - at < header + length) break;
    const start = at + header;
    if (opcode === FrameOpcode.TEXT && bytes[start] === T) {
      let micros = 0;
      for (let i = start + 1; i < start + length; i++) {
        const digit = bytes[i]! - 48;
        if (digit < 0 || digit > 9) break;
        micros = micros * 10 + digit;
      }
      if (micros >= windowStartUs && micros < windowEndUs) {
        delivered++;
        samples.record(nowMs - micros / 1000);
      }
    } else if (opcode === FrameOpcode.PING) {
      controlFrames++;
      const payload = bytes.slice(start, start + length);
      socket.write(encodeFrame(FrameOpcode.PONG, payload, { mask: randomMask() }));
    } else if (opcode !== FrameOpcode.TEXT) {
      controlFrames++;
    }
    at = start + length;
  }
  return at;
}

function randomMask(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(4));
}

function onData(socket: Socket<Client>, chunk: Uint8Array): void {
  const nowMs = performance.now();
  lastRxMs = nowMs;
  const client = socket.data;
  let bytes = chunk;
  if (!client.isOpen) {
    client.head += Buffer.from(chunk).toString("latin1");
    const end = client.head.indexOf("\r\n\r\n");
    if (end < 0) return;
    if (!client.head.startsWith("HTTP/1.1 101")) {
      client.failed(new Error(`handshake refused: ${client.head.split("\r\n")[0]}`));
      return;
    }
    client.isOpen = true;
    client.opened();
    bytes = chunk.subarray(chunk.length - (client.head.length - end - 4));
    client.head = "";
  }
  const tail = client.tail;
  if (tail) {
    const joined = new Uint8Array(tail.length + bytes.length);
    joined.set(tail);
    joined.set(bytes, tail.length);
    bytes = joined;
  }
  const used = readFrames(socket, bytes, nowMs);
  client.tail = used < bytes.length ? bytes.slice(used) : null;
}

const upgradeRequest =
  `GET /room HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

async function open(): Promise<Socket<Client>> {
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  const socket = await Bun.connect<Client>({
    hostname: "127.0.0.1",
    port,
    data: { isOpen: false, head: "", tail: null, opened: resolve, failed: reject },
    socket: {
      binaryType: "uint8array",
      data: onData,
      error: (s, error) => s.data.failed(error),
      close: (s) => s.data.failed(new Error("closed")),
    },
  });
  socket.setNoDelay(true);
  socket.write(upgradeRequest);
  await promise;
  return socket;
}

const sockets: Socket<Client>[] = [];
const BATCH = 100;
for (let i = 0; i < clientCount; i += BATCH) {
  const batch = Math.min(BATCH, clientCount - i);
  sockets.push(...(await Promise.all(Array.from({ length: batch }, open))));
}
let closedEarly = 0;
for (const socket of sockets) {
  socket.data.failed = () => {
    closedEarly++;
  };
}
await Bun.sleep(200);

const messagesPerSecond = offered / clientCount; // every client receives each message
const padding = "x".repeat(64);
let next = 0;
let shortWrites = 0;
/** One masked text frame of ~64 payload bytes stamped with `nowMs`, from the next sender. */
function sendOne(nowMs: number): void {
  const stamp = `T${Math.round(nowMs * 1000)} `;
  const text = `${stamp}${padding.slice(0, 64 - stamp.length)}`;
  const frame = encodeFrame(FrameOpcode.TEXT, Buffer.from(text, "latin1"), { mask: randomMask() });
  const socket = sockets[next]!;
  next = (next + 1) % senderCount;
  if (socket.write(frame) < frame.length) shortWrites++;
}

if (warmupSeconds > 0) await paceSends(messagesPerSecond, warmupSeconds, sendOne);
const startMs = performance.now();
windowStartUs = startMs * 1000;
const cpuStart = cpuTimes([serverPid]);
const selfStart = cpuTimes(["self"]);
const sent = await paceSends(messagesPerSecond, seconds, sendOne);
const sendEndMs = performance.now();
windowEndUs = sendEndMs * 1000;
const cpuSendEnd = cpuTimes([serverPid]);
const selfSendEnd = cpuTimes(["self"]);
const expected = sent * clientCount;
// Drain: until everything arrived, or nothing has arrived for a second (10 s at most).
while (
  delivered < expected &&
  performance.now() - lastRxMs < 1000 &&
  performance.now() - sendEndMs < 10_000
) {
  await Bun.sleep(20);
}
const drainEndMs = performance.now();
const cpuDrainEnd = cpuTimes([serverPid]);

const windowS = (sendEndMs - startMs) / 1000;
const sum = (t: { user: number; system: number }) => t.user + t.system;
const serverCpuSeconds = sum(cpuDrainEnd) - sum(cpuStart);
const { p50, p99, max } = samples.summary();
console.log(
  JSON.stringify({
    clients: clientCount,
    senders: senderCount,
    messages_per_second: Math.round(sent / windowS),
    sent,
    expected,
    delivered,
    share: expected ? delivered / expected : 0,
    deliveries_per_second: Math.round(delivered / windowS),
    p50_ms: p50,
    p99_ms: p99,
    max_ms: max,
    window_s: windowS,
    drain_s: (drainEndMs - sendEndMs) / 1000,
    server_cpu_send_window: (sum(cpuSendEnd) - sum(cpuStart)) / windowS,
    server_user_send_window: (cpuSendEnd.user - cpuStart.user) / windowS,
    server_system_send_window: (cpuSendEnd.system - cpuStart.system) / windowS,
    server_cpu_seconds: serverCpuSeconds,
    deliveries_per_core_second:
      serverCpuSeconds > 0 ? Math.round(delivered / serverCpuSeconds) : null,
    loadgen_cpu_send_window: (sum(selfSendEnd) - sum(selfStart)) / windowS,
    loadgen_system_send_window: (selfSendEnd.system - selfStart.system) / windowS,
    short_writes: shortWrites,
    closed_early: closedEarly,
    control_frames: controlFrames,
  }),
);
for (const socket of sockets) socket.terminate();
process.exit(0);
