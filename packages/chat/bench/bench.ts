// `bun run bench`: the chat server under a steady offered load of 200,000 deliveries/s
// (sends × receivers) at 10, 100, 500 and 1,000 clients, against a straightforward node:net
// broadcast server. Server pinned to core 0, load generator (a separate Bun process) to core 1.
// Prints a table, then one JSON line.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { haveRedis, startRedis } from "@netkit/testkit";

const here = import.meta.dir;
const OFFERED = 200_000;
const SECONDS = Number(process.env.CHAT_BENCH_SECONDS ?? 5);
const CLIENT_COUNTS = (process.env.CHAT_BENCH_CLIENTS ?? "10,100,500,1000").split(",").map(Number);
const SERVERS = (process.env.CHAT_BENCH_SERVERS ?? "netkit,node").split(",");
// Scale-out comparison: this many clients on 1 instance vs spread over 2 instances sharing Redis.
const SCALE_CLIENTS = Number(process.env.CHAT_BENCH_SCALE_CLIENTS ?? 1000);
const SCALE_OFFERED = Number(process.env.CHAT_BENCH_SCALE_OFFERED ?? OFFERED);

/** The pid of the redis-server listening on `port` (its CPU counts as the servers'). */
function redisPid(port: number): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (argv[0]?.includes("redis-server") && argv.includes(String(port))) return Number(entry);
    } catch {}
  }
  return undefined;
}
const taskset = Bun.which("taskset");
const node = Bun.which("node");
if (!taskset) console.error("!!! taskset not found: running unpinned (apt install util-linux)");

interface Result {
  clients: number;
  sent: number;
  expected: number;
  delivered: number;
  share: number;
  deliveries_per_second: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  server_cpu_send_window: number;
  server_cpu_overall: number;
  server_user_send_window: number;
  server_system_send_window: number;
  deliveries_per_core_second: number | null;
  loadgen_cpu_send_window: number;
}

function pinned(core: number, argv: string[]): string[] {
  return taskset ? [taskset, "-c", String(core), ...argv] : argv;
}

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return text.split("\n")[0]!.trim();
}

/** The 1-minute load average: other work on this shared machine shows up here. */
async function loadAverage(): Promise<number> {
  return Number((await Bun.file("/proc/loadavg").text()).split(" ")[0]);
}

async function runOne(
  server: string,
  clients: number,
  instances = 1,
  redis?: { url: string; pid?: number },
  offered = OFFERED,
): Promise<Result & { load1: number }> {
  const load1 = await loadAverage();
  const serverArgv =
    server === "node"
      ? [node ?? "node", join(here, "node-server.mjs")]
      : [process.execPath, join(here, "netkit-server.ts")];
  const env = redis
    ? { ...process.env, CHAT_REDIS_URL: redis.url, CHAT_REDIS_ROOM: `bench${Date.now()}` }
    : process.env;
  const procs = Array.from({ length: instances }, () =>
    Bun.spawn(pinned(0, serverArgv), { stdout: "pipe", stderr: "inherit", env }),
  );
  try {
    const ports = await Promise.all(
      procs.map(async (proc) =>
        Number(
          await Promise.race([
            firstLine(proc.stdout),
            Bun.sleep(10_000).then(() => {
              throw new Error(`${server} server did not start`);
            }),
          ]),
        ),
      ),
    );
    const load = Bun.spawn(
      pinned(1, [
        process.execPath,
        join(here, "load.ts"),
        "--ports",
        ports.join(","),
        "--clients",
        String(clients),
        "--deliveries-per-second",
        String(offered),
        "--seconds",
        String(SECONDS),
        "--server-pids",
        // taskset execs the server: the pid is the server's own
        [...procs.map((p) => p.pid), ...(redis?.pid ? [redis.pid] : [])].join(","),
      ]),
      { stdout: "pipe", stderr: "inherit" },
    );
    const timer = setTimeout(() => load.kill(), (SECONDS + 40) * 1000);
    const out = await new Response(load.stdout).text();
    clearTimeout(timer);
    if ((await load.exited) !== 0) throw new Error(`load generator failed: ${out}`);
    return { ...(JSON.parse(out.trim().split("\n").at(-1)!) as Result), load1 };
  } finally {
    for (const proc of procs) proc.kill("SIGTERM");
    await Promise.all(
      procs.map((proc) =>
        Promise.race([proc.exited, Bun.sleep(3000).then(() => proc.kill("SIGKILL"))]),
      ),
    );
  }
}

const results: { server: string; result: Result & { load1: number } }[] = [];
for (const clients of CLIENT_COUNTS) {
  for (const server of SERVERS) {
    if (server === "node" && !node) {
      console.error("!!! node not found: skipping the node:net baseline");
      continue;
    }
    const result = await runOne(server, clients);
    results.push({ server, result });
    console.error(
      `${server} ${clients} clients: ${result.deliveries_per_second}/s, ${(result.share * 100).toFixed(2)}% delivered, p99 ${result.p99_ms.toFixed(1)} ms, cpu ${(result.server_cpu_send_window * 100).toFixed(0)}%`,
    );
  }
}

// Scale-out: 1 instance vs 2 instances sharing a redis-server (both pinned to core 0, like the
// single instance, so the comparison is at equal server CPU: it measures what the bus costs).
const scale: { setup: string; result: Result & { load1: number } }[] = [];
if (SCALE_CLIENTS > 0 && haveRedis()) {
  const redis = await startRedis();
  const shared = { url: redis.url, pid: redisPid(redis.port) };
  try {
    for (const [setup, instances, bus] of [
      ["1 instance", 1, undefined],
      ["2 instances + redis", 2, shared],
    ] as const) {
      const result = await runOne("netkit", SCALE_CLIENTS, instances, bus, SCALE_OFFERED);
      scale.push({ setup, result });
      console.error(
        `${setup}, ${SCALE_CLIENTS} clients: ${result.deliveries_per_second}/s, ${(result.share * 100).toFixed(2)}% delivered, p99 ${result.p99_ms.toFixed(1)} ms, cpu ${(result.server_cpu_send_window * 100).toFixed(0)}%`,
      );
    }
  } finally {
    await redis.stop();
  }
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "-");
const header = [
  "server",
  "clients",
  "deliveries/s",
  "delivered",
  "p50 ms",
  "p99 ms",
  "max ms",
  "server cpu",
  "deliv/core-s",
  "loadgen cpu",
  "load avg",
];
const rows = results.map(({ server, result: r }) => [
  server,
  String(r.clients),
  String(r.deliveries_per_second),
  `${fmt(r.share * 100, 2)}%`,
  fmt(r.p50_ms, 2),
  fmt(r.p99_ms, 2),
  fmt(r.max_ms, 1),
  `${fmt(r.server_cpu_send_window * 100, 0)}%`,
  String(r.deliveries_per_core_second ?? "-"),
  `${fmt(r.loadgen_cpu_send_window * 100, 0)}%`,
  fmt(r.load1, 2),
]);
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join("  ");
console.log(
  `chat bench: offered ${OFFERED} deliveries/s, ${SECONDS} s per run, ~64-byte lines; server on core 0, load generator on core 1`,
);
console.log(line(header));
for (const row of rows) console.log(line(row));
if (scale.length > 0) {
  console.log(
    `\nscale-out, ${SCALE_CLIENTS} clients, offered ${SCALE_OFFERED} deliveries/s (chat servers on core 0, redis-server unpinned; server cpu includes redis-server's):`,
  );
  const scaleRows = scale.map(({ setup, result: r }) => [
    setup,
    String(r.clients),
    String(r.deliveries_per_second),
    `${fmt(r.share * 100, 2)}%`,
    fmt(r.p50_ms, 2),
    fmt(r.p99_ms, 2),
    fmt(r.max_ms, 1),
    `${fmt(r.server_cpu_send_window * 100, 0)}%`,
    String(r.deliveries_per_core_second ?? "-"),
    `${fmt(r.loadgen_cpu_send_window * 100, 0)}%`,
    fmt(r.load1, 2),
  ]);
  const w = header.map((h, i) =>
    Math.max(i === 0 ? 19 : h.length, ...scaleRows.map((r) => r[i]!.length)),
  );
  const scaleLine = (cells: string[]) => cells.map((c, i) => c.padStart(w[i]!)).join("  ");
  console.log(scaleLine(["setup", ...header.slice(1)]));
  for (const row of scaleRows) console.log(scaleLine(row));
}
const one = scale.find((s) => s.setup === "1 instance")?.result;
const two = scale.find((s) => s.setup === "2 instances + redis")?.result;

const byClients: Record<string, unknown> = {};
for (const clients of CLIENT_COUNTS) {
  const ours = results.find((r) => r.server === "netkit" && r.result.clients === clients)?.result;
  const base = results.find((r) => r.server === "node" && r.result.clients === clients)?.result;
  byClients[clients] = {
    deliveries_per_second: ours?.deliveries_per_second,
    delivered_share: ours?.share,
    p50_ms: ours?.p50_ms,
    p99_ms: ours?.p99_ms,
    server_cpu: ours?.server_cpu_send_window,
    // user space vs kernel (syscalls, and on loopback the receiving side's TCP work too)
    server_cpu_user: ours?.server_user_send_window,
    server_cpu_system: ours?.server_system_send_window,
    deliveries_per_core_second: ours?.deliveries_per_core_second,
    load_average_before: ours?.load1,
    node: base && {
      deliveries_per_second: base.deliveries_per_second,
      delivered_share: base.share,
      p50_ms: base.p50_ms,
      p99_ms: base.p99_ms,
      server_cpu: base.server_cpu_send_window,
      server_cpu_user: base.server_user_send_window,
      server_cpu_system: base.server_system_send_window,
      deliveries_per_core_second: base.deliveries_per_core_second,
    },
    deliveries_per_core_ratio_vs_node:
      ours?.deliveries_per_core_second && base?.deliveries_per_core_second
        ? ours.deliveries_per_core_second / base.deliveries_per_core_second
        : null,
  };
}
console.log(
  JSON.stringify({
    bench: "chat",
    offered_deliveries_per_second: OFFERED,
    seconds_per_run: SECONDS,
    clients: byClients,
    scale_clients: scale.length > 0 ? SCALE_CLIENTS : undefined,
    scale_offered_deliveries_per_second: scale.length > 0 ? SCALE_OFFERED : undefined,
    one_instance_deliveries_per_s: one?.deliveries_per_second,
    one_instance_p99_ms: one?.p99_ms,
    one_instance_server_cpu: one?.server_cpu_send_window,
    two_instances_deliveries_per_s: two?.deliveries_per_second,
    two_instances_delivered_share: two?.share,
    two_instances_p50_ms: two?.p50_ms,
    two_instances_p99_ms: two?.p99_ms,
    two_instances_server_cpu: two?.server_cpu_send_window,
    two_instances_deliveries_per_core_second: two?.deliveries_per_core_second,
  }),
);
