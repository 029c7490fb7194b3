// `bun run bench`: the fan-out — one room where every message goes to every socket, at 500
// and 1,000 sockets and 200,000 deliveries/s offered — on three servers in the same run: ours
// (@netkit/http + acceptWebSocket + WebSocketRoom: each message framed once, a busy room's peers
// getting several messages per write), Bun.serve's native WebSocket pub/sub, and `ws` on Node.
// Each server is pinned to core 0 and the load generator (load.ts, a separate Bun process) to
// core 1. Prints a table and the targets, then one JSON line. (`bun run bench/codec.ts` is
// the codec alone.)
import { join } from "node:path";
import { canPin, firstLine, loadAverage, pinned } from "@netkit/testkit";

const here = import.meta.dir;
const OFFERED = Number(process.env.WS_BENCH_OFFERED ?? 200_000);
const SECONDS = Number(process.env.WS_BENCH_SECONDS ?? 4);
// Rounds alternate the servers, so a burst of other work on this shared machine hits them alike;
// the verdicts use each server's median over the rounds.
const ROUNDS = Number(process.env.WS_BENCH_ROUNDS ?? 3);
const CLIENT_COUNTS = (process.env.WS_BENCH_CLIENTS ?? "500,1000").split(",").map(Number);
// "netkit-sendframe" may be added: our server without WebSocketRoom (one write per delivery).
const SERVERS = (process.env.WS_BENCH_SERVERS ?? "netkit,bun,ws").split(",");
const TARGET = { p99Ms: 15, share: 1, vsWs: 2, vsBun: 1 };

const node = Bun.which("node");
if (!canPin) console.error("!!! taskset not found: running unpinned (apt install util-linux)");

interface Result {
  clients: number;
  senders: number;
  messages_per_second: number;
  delivered: number;
  expected: number;
  share: number;
  deliveries_per_second: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  server_cpu_send_window: number;
  server_user_send_window: number;
  server_system_send_window: number;
  deliveries_per_core_second: number | null;
  loadgen_cpu_send_window: number;
  closed_early: number;
  load1: number;
}

function serverArgv(server: string): string[] {
  if (server === "ws") return [node ?? "node", join(here, "ws-server.mjs")];
  if (server === "bun") return [process.execPath, join(here, "bun-server.ts")];
  return [process.execPath, join(here, "netkit-server.ts")];
}

/** "netkit-sendframe" (opt-in): our server without the room, sendFrame to every session. */
function serverEnv(server: string): Record<string, string | undefined> {
  return server === "netkit-sendframe"
    ? { ...process.env, WS_BENCH_NETKIT: "sendframe" }
    : process.env;
}

async function runOne(server: string, clients: number): Promise<Result> {
  const load1 = loadAverage();
  const openFiles = clients + 1024;
  const proc = Bun.spawn(pinned(0, serverArgv(server), openFiles), {
    env: serverEnv(server),
    stdout: "pipe",
    stderr: "inherit",
  });
  try {
    const port = Number(await firstLine(proc.stdout));
    const load = Bun.spawn(
      pinned(
        1,
        [
          process.execPath,
          join(here, "load.ts"),
          "--port",
          String(port),
          "--clients",
          String(clients),
          "--deliveries-per-second",
          String(OFFERED),
          "--seconds",
          String(SECONDS),
          // taskset and prlimit exec the server: the pid is the server's own
          "--server-pid",
          String(proc.pid),
        ],
        openFiles,
      ),
      { stdout: "pipe", stderr: "inherit" },
    );
    const timer = setTimeout(() => load.kill(), (SECONDS + 60) * 1000);
    const out = await new Response(load.stdout).text();
    clearTimeout(timer);
    if ((await load.exited) !== 0) throw new Error(`load generator failed: ${out}`);
    return { ...(JSON.parse(out.trim().split("\n").at(-1)!) as Omit<Result, "load1">), load1 };
  } finally {
    proc.kill("SIGTERM");
    await Promise.race([proc.exited, Bun.sleep(3000).then(() => proc.kill("SIGKILL"))]);
  }
}

const results: { server: string; round: number; result: Result }[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  for (const clients of CLIENT_COUNTS) {
    for (const server of SERVERS) {
      if (server === "ws" && !node) {
        console.error("!!! node not found: skipping ws on Node");
        continue;
      }
      const result = await runOne(server, clients);
      results.push({ server, round, result });
      console.error(
        `round ${round}, ${server} ${clients} sockets: ${result.deliveries_per_second}/s, ${(result.share * 100).toFixed(2)}% delivered, p99 ${result.p99_ms.toFixed(1)} ms, cpu ${(result.server_cpu_send_window * 100).toFixed(0)}%`,
      );
    }
  }
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "-");
const header = [
  "round",
  "server",
  "sockets",
  "msgs/s",
  "deliveries/s",
  "delivered",
  "p50 ms",
  "p99 ms",
  "max ms",
  "server cpu",
  "user/sys",
  "deliv/core-s",
  "loadgen cpu",
  "load avg",
];
const rows = results.map(({ server, round, result: r }) => [
  String(round),
  server,
  String(r.clients),
  String(r.messages_per_second),
  String(r.deliveries_per_second),
  `${fmt(r.share * 100, 2)}%`,
  fmt(r.p50_ms, 2),
  fmt(r.p99_ms, 2),
  fmt(r.max_ms, 1),
  `${fmt(r.server_cpu_send_window * 100, 0)}%`,
  `${fmt(r.server_user_send_window * 100, 0)}/${fmt(r.server_system_send_window * 100, 0)}`,
  String(r.deliveries_per_core_second ?? "-"),
  `${fmt(r.loadgen_cpu_send_window * 100, 0)}%`,
  fmt(r.load1, 2),
]);
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join("  ");
console.log(
  `websocket fan-out bench: offered ${OFFERED} deliveries/s (every message to every socket), ${SECONDS} s per run after 1 s of warm-up, ${ROUNDS} rounds, 64-byte text messages; server on core 0, load generator on core 1`,
);
console.log(line(header));
for (const row of rows) console.log(line(row));

const ratio = (a: number | null | undefined, b: number | null | undefined) =>
  a && b ? a / b : null;
const byClients: Record<string, unknown> = {};
const verdicts: string[] = [];
for (const clients of CLIENT_COUNTS) {
  const runs = (server: string) =>
    results.filter((r) => r.server === server && r.result.clients === clients).map((r) => r.result);
  /** The run with the median deliveries per core-second (the lower middle for an even count). */
  const find = (server: string) =>
    runs(server).sort(
      (a, b) => (a.deliveries_per_core_second ?? 0) - (b.deliveries_per_core_second ?? 0),
    )[Math.floor((runs(server).length - 1) / 2)];
  const [ours, bun, ws] = [find("netkit"), find("bun"), find("ws")];
  const vsBun = ratio(ours?.deliveries_per_core_second, bun?.deliveries_per_core_second);
  const vsWs = ratio(ours?.deliveries_per_core_second, ws?.deliveries_per_core_second);
  const summary = (r: Result | undefined) =>
    r && {
      deliveries_per_second: r.deliveries_per_second,
      delivered_share: r.share,
      p50_ms: r.p50_ms,
      p99_ms: r.p99_ms,
      server_cpu: r.server_cpu_send_window,
      server_cpu_user: r.server_user_send_window,
      server_cpu_system: r.server_system_send_window,
      deliveries_per_core_second: r.deliveries_per_core_second,
      load_average_before: r.load1,
    };
  const perRound = (server: string) => ({
    deliveries_per_core_second: runs(server).map((r) => r.deliveries_per_core_second),
    p99_ms: runs(server).map((r) => r.p99_ms),
    delivered_share: runs(server).map((r) => r.share),
  });
  byClients[clients] = {
    netkit: summary(ours),
    bun: summary(bun),
    ws: summary(ws),
    ...(SERVERS.includes("netkit-sendframe") && {
      netkit_sendframe: summary(find("netkit-sendframe")),
    }),
    rounds: { netkit: perRound("netkit"), bun: perRound("bun"), ws: perRound("ws") },
    deliveries_per_core_ratio_vs_bun: vsBun,
    deliveries_per_core_ratio_vs_ws: vsWs,
  };
  if (ours) {
    const mark = (ok: boolean) => (ok ? "met" : "MISSED");
    verdicts.push(
      `${clients} sockets: p99 ${fmt(ours.p99_ms, 2)} ms (≤ ${TARGET.p99Ms}: ${mark(ours.p99_ms <= TARGET.p99Ms)}), ` +
        `delivered ${fmt(ours.share * 100, 2)}% (100%: ${mark(ours.share >= TARGET.share)}), ` +
        `per core ${fmt(vsWs ?? Number.NaN, 2)}× ws (≥ ${TARGET.vsWs}: ${mark((vsWs ?? 0) >= TARGET.vsWs)}), ` +
        `${fmt(vsBun ?? Number.NaN, 2)}× Bun.serve (≥ ${TARGET.vsBun}: ${mark((vsBun ?? 0) >= TARGET.vsBun)})`,
    );
  }
}
console.log(
  `\ntargets (ours; each server's median run by deliveries per core-second):\n${verdicts.join("\n")}`,
);
console.log(
  JSON.stringify({
    bench: "websocket-fanout",
    offered_deliveries_per_second: OFFERED,
    seconds_per_run: SECONDS,
    rounds: ROUNDS,
    clients: byClients,
  }),
);
