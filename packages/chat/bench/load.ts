// Bench load generator (one process, pinned to one core by bench.ts): N line clients that name
// themselves, then send timestamped ~64-byte lines at a steady combined rate chosen so that
// sends × receivers = the offered deliveries per second. Measures deliveries and latency, and
// reads the server's CPU time from /proc/<pid>/stat. Prints one JSON line.
import { readFileSync } from "node:fs";
import type { Socket } from "bun";

const args = new Map<string, string>();
for (let i = 2; i < Bun.argv.length; i += 2)
  args.set(Bun.argv[i]!.replace(/^--/, ""), Bun.argv[i + 1]!);
// --ports P1,P2: clients are spread round-robin over several instances (with --redis).
const ports = (args.get("ports") ?? args.get("port") ?? "").split(",").map(Number);
const clientCount = Number(args.get("clients"));
const offered = Number(args.get("deliveries-per-second") ?? 200_000);
const seconds = Number(args.get("seconds") ?? 5);
const serverPids = (args.get("server-pids") ?? args.get("server-pid") ?? "").split(",").map(Number);
const TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

/** utime + stime of the server processes together, in seconds. */
function serverCpuSeconds(): number {
  return serverPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number | "self"): number {
  const [user, system] = cpuSplit(pid);
  return user + system;
}

/** [utime, stime] of a process in seconds (user space vs kernel: syscalls, loopback TCP). */
function cpuSplit(pid: number | "self"): [number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return [Number(fields[11]) / TICKS_PER_SECOND, Number(fields[12]) / TICKS_PER_SECOND]; // stat fields 14, 15
}

/** [utime, stime] of the server processes together, in seconds. */
function serverCpuSplit(): [number, number] {
  let user = 0;
  let system = 0;
  for (const pid of serverPids) {
    const [u, s] = cpuSplit(pid);
    user += u;
    system += s;
  }
  return [user, system];
}

interface ClientState {
  tail: Uint8Array | null;
}

const debug = Boolean(process.env.CHAT_BENCH_DEBUG);
const debugBuckets: number[][] = [];
let debugStart = 0;
let latencies = new Float64Array(1 << 20);
let latencyCount = 0;
let delivered = 0;
let measuring = false;
let lastRxMs = performance.now();
let rxBytes = 0;

function record(latencyMs: number): void {
  if (latencyCount === latencies.length) {
    const bigger = new Float64Array(latencies.length * 2);
    bigger.set(latencies);
    latencies = bigger;
  }
  latencies[latencyCount++] = latencyMs;
}

const LF = 0x0a;
const COLON = 0x3a;
const SPACE = 0x20;
const T = 0x54;

/** Scans complete lines for `name: T<micros> ...` and records each delivery. */
function scan(bytes: Uint8Array, end: number, nowMs: number): void {
  let start = 0;
  while (start < end) {
    let lf = bytes.indexOf(LF, start);
    if (lf < 0 || lf >= end) lf = end;
    // Find ": T" within the first 12 bytes (names are c0 .. c999).
    const limit = Math.min(lf - 3, start + 12);
    for (let i = start; i <= limit; i++) {
      if (bytes[i] === COLON && bytes[i + 1] === SPACE && bytes[i + 2] === T) {
        let micros = 0;
        for (let j = i + 3; j < lf; j++) {
          const d = bytes[j]! - 48;
          if (d < 0 || d > 9) break;
          micros = micros * 10 + d;
        }
        if (measuring) {
          delivered++;
          record(nowMs - micros / 1000);
          if (debug) {
            const second = Math.floor((micros / 1000 - debugStart) / 1000);
            const bucket = debugBuckets[second] ?? [];
            debugBuckets[second] = bucket;
            bucket.push(nowMs - micros / 1000);
          }
        }
        break;
      }
    }
    start = lf + 1;
  }
}

function onData(socket: Socket<ClientState>, chunk: Uint8Array): void {
  const nowMs = performance.now();
  lastRxMs = nowMs;
  rxBytes += chunk.length;
  let bytes = chunk;
  const tail = socket.data.tail;
  if (tail) {
    bytes = new Uint8Array(tail.length + chunk.length);
    bytes.set(tail);
    bytes.set(chunk, tail.length);
  }
  const lastLf = bytes.lastIndexOf(LF);
  if (lastLf < 0) {
    socket.data.tail = bytes.slice();
    return;
  }
  scan(bytes, lastLf, nowMs);
  socket.data.tail = lastLf + 1 < bytes.length ? bytes.slice(lastLf + 1) : null;
}

const sockets: Socket<ClientState>[] = [];
const BATCH = 100;
for (let i = 0; i < clientCount; i += BATCH) {
  const batch = [];
  for (let j = i; j < Math.min(clientCount, i + BATCH); j++) {
    batch.push(
      Bun.connect<ClientState>({
        hostname: "127.0.0.1",
        port: ports[j % ports.length]!,
        data: { tail: null },
        socket: { binaryType: "uint8array", data: onData, error() {}, close() {} },
      }).then((s) => {
        s.setNoDelay(true);
        s.write(`c${j}\n`);
        return s;
      }),
    );
  }
  sockets.push(...(await Promise.all(batch)));
}

// Joined when the join notices (if the server sends any) have stopped arriving.
const joinStart = performance.now();
while (performance.now() - lastRxMs < 500 && performance.now() - joinStart < 30_000) {
  await Bun.sleep(50);
}
await Bun.sleep(200);

const receivers = clientCount - 1;
const sendsPerSecond = offered / receivers;
const padding = "x".repeat(64);
let sent = 0;
let shortWrites = 0;
let next = 0;
measuring = true;
const cpuStart = serverCpuSeconds();
const splitStart = serverCpuSplit();
const selfCpuStart = cpuSeconds("self");
const startMs = performance.now();
debugStart = startMs;
await new Promise<void>((resolve) => {
  const tick = () => {
    const nowMs = performance.now();
    const elapsed = (nowMs - startMs) / 1000;
    if (elapsed >= seconds) {
      resolve();
      return;
    }
    const due = Math.floor(sendsPerSecond * elapsed) - sent;
    if (due > 0) {
      const stamp = `T${Math.round(nowMs * 1000)} `;
      // ~64 bytes per line including the newline.
      const line = `${stamp}${padding.slice(0, 63 - stamp.length)}\n`;
      for (let k = 0; k < due; k++) {
        const socket = sockets[next]!;
        next = (next + 1) % clientCount;
        if (socket.write(line) < line.length) shortWrites++;
        sent++;
      }
    }
    setTimeout(tick, 1);
  };
  tick();
});
const sendEndMs = performance.now();
const cpuSendEnd = serverCpuSeconds();
const splitSendEnd = serverCpuSplit();
const selfCpuSendEnd = cpuSeconds("self");
const expected = sent * receivers;
// Drain: until everything arrived, or nothing has arrived for a second (max 10 s).
while (
  delivered < expected &&
  performance.now() - lastRxMs < 1000 &&
  performance.now() - sendEndMs < 10_000
) {
  await Bun.sleep(20);
}
const drainEndMs = performance.now();
const cpuDrainEnd = serverCpuSeconds();
measuring = false;

if (debug) {
  for (const [i, b] of debugBuckets.entries()) {
    if (!b) continue;
    b.sort((x, y) => x - y);
    console.error(
      `second ${i}: n=${b.length} p50=${b[Math.floor(b.length / 2)]?.toFixed(2)} p99=${b[Math.floor(b.length * 0.99)]?.toFixed(2)} max=${b.at(-1)?.toFixed(2)}`,
    );
  }
}
const sorted = latencies.subarray(0, latencyCount).sort();
const pct = (p: number) =>
  latencyCount ? sorted[Math.min(latencyCount - 1, Math.floor(p * latencyCount))]! : NaN;
const windowS = (sendEndMs - startMs) / 1000;
const totalS = (drainEndMs - startMs) / 1000;
const cpuAll = cpuDrainEnd - cpuStart;
console.log(
  JSON.stringify({
    clients: clientCount,
    sends_per_second: Math.round(sent / windowS),
    sent,
    expected,
    delivered,
    share: expected ? delivered / expected : 0,
    deliveries_per_second: Math.round(delivered / windowS),
    p50_ms: pct(0.5),
    p99_ms: pct(0.99),
    max_ms: latencyCount ? sorted[latencyCount - 1] : NaN,
    window_s: windowS,
    drain_s: (drainEndMs - sendEndMs) / 1000,
    server_cpu_send_window: (cpuSendEnd - cpuStart) / windowS,
    server_cpu_overall: cpuAll / totalS,
    server_user_send_window: (splitSendEnd[0] - splitStart[0]) / windowS,
    server_system_send_window: (splitSendEnd[1] - splitStart[1]) / windowS,
    server_cpu_seconds: cpuAll,
    deliveries_per_core_second: cpuAll > 0 ? Math.round(delivered / cpuAll) : null,
    short_writes: shortWrites,
    loadgen_cpu_send_window: (selfCpuSendEnd - selfCpuStart) / windowS,
    rx_bytes: rxBytes,
  }),
);
for (const s of sockets) s.terminate();
process.exit(0);
