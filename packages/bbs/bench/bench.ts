// `bun run bench`: posting throughput (100 clients × 1000 posts, every post committed before the
// server handles that client's next command), `list` of 100,000 stored posts, and the same posting
// load against a thread-per-client Python server in the seed's style (in memory).
// Then the same posting load with the store in PostgreSQL (a throwaway cluster started here, as in
// the tests; skipped with a note when PostgreSQL is not installed) for posts_per_s_postgres.
// Then the posting load over TLS (a throwaway self-signed certificate) against plain, in one process.
// Server on core 0, load generator on core 1 (taskset) when available. Prints a table, then JSON.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { havePostgres, startPostgres } from "@netkit/testkit";

const HERE = import.meta.dir;
const CLI = join(HERE, "..", "..", "..", "apps", "cli");
const LOAD = join(HERE, "load.ts");
const PY = join(HERE, "threaded_server.py");
const CLIENTS = 100;
const POSTS = 1000;
const RUNS = 5;
/**
 * Unmeasured posting runs before the measured ones, on every server alike: a server runs warm,
 * and JSC needs a few hundred thousand posts to finish compiling the hot path (the first run
 * measured 40-60% of the later ones).
 */
const WARMUP_RUNS = 2;
const taskset = Bun.which("taskset");
const pin = (core: number, cmd: string[]) =>
  taskset ? [taskset, "-c", String(core), ...cmd] : cmd;
const python = Bun.which("python3") ?? "/usr/bin/python3";

interface Server {
  port: number;
  /** The second line of --print-port, when the server also listens for TLS. */
  tlsPort: number | undefined;
  stop(): Promise<void>;
}

async function startProcess(cmd: string[], lines = 1): Promise<Server> {
  const proc = Bun.spawn(pin(0, cmd), { stdout: "pipe", stderr: "inherit", stdin: "ignore" });
  const reader = proc.stdout.getReader();
  let text = "";
  const deadline = Date.now() + 15_000;
  while (text.split("\n").length <= lines) {
    if (Date.now() > deadline) throw new Error(`${cmd.join(" ")}: no port within 15 s`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`${cmd.join(" ")} exited early`);
    text += new TextDecoder().decode(value);
  }
  const [port, tlsPort] = text.trim().split("\n").map(Number);
  return {
    port: port as number,
    tlsPort,
    async stop() {
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill(9), 10_000);
      await proc.exited;
      clearTimeout(timer);
    },
  };
}

async function load(
  port: number,
  args: string[],
  env: Record<string, string> = {},
): Promise<Record<string, number>> {
  const proc = Bun.spawn(pin(1, ["bun", "run", LOAD, String(port), ...args]), {
    stdout: "pipe",
    stderr: "inherit",
    env: { ...process.env, ...env },
  });
  const timer = setTimeout(() => proc.kill(9), 60_000);
  const out = await new Response(proc.stdout).text();
  clearTimeout(timer);
  if ((await proc.exited) !== 0) throw new Error(`load ${args.join(" ")} failed`);
  return JSON.parse(out.trim().split("\n").pop() ?? "{}");
}

/** The CLI's `bbs` server on a free port with `storage` flags; the load generator is one address. */
const bbsServer = (...storage: string[]) => [
  "bun",
  "run",
  CLI,
  "bbs",
  "--port",
  "0",
  ...storage,
  "--print-port",
  "--max-connections-per-address",
  "0",
  "--log-level",
  "warn",
];

const PG_RUNS = 3;
const TLS_RUNS = 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const dir = mkdtempSync(join(tmpdir(), "bbs-bench-"));
const rows: [string, string][] = [];
try {
  // Ours, WAL + synchronous=NORMAL (the default).
  const ours = await startProcess(bbsServer("--db", join(dir, "normal.sqlite")));
  // The first warm-up run, reported apart: a server that just started, JIT compilation included.
  const coldRate =
    (await load(ours.port, ["post", String(CLIENTS), String(POSTS)])).posts_per_s ?? 0;
  const listMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await load(ours.port, ["list"]);
    if (r.count !== CLIENTS * POSTS)
      throw new Error(`list returned ${r.count} posts, expected ${CLIENTS * POSTS}`);
    listMs.push(r.ms ?? 0);
  }
  for (let i = 1; i < WARMUP_RUNS; i++)
    await load(ours.port, ["post", String(CLIENTS), String(POSTS)]);
  const postRates: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    postRates.push(
      (await load(ours.port, ["post", String(CLIENTS), String(POSTS)])).posts_per_s ?? 0,
    );
  }
  const final = await load(ours.port, ["list"]);
  const stored = (RUNS + WARMUP_RUNS) * CLIENTS * POSTS;
  if (final.count !== stored) throw new Error(`stored ${final.count}, expected ${stored}`);
  await ours.stop();

  // Ours with synchronous=FULL (an fsync per group commit), one run for reference.
  const full = await startProcess(bbsServer("--db", join(dir, "full.sqlite"), "--sync", "full"));
  const fullRate =
    (await load(full.port, ["post", String(CLIENTS), String(POSTS)])).posts_per_s ?? 0;
  await full.stop();

  // The same server process on a plain and a TLS port: posts/s over TLS against plain, alternating.
  const cert = join(dir, "localhost.crt");
  const key = join(dir, "localhost.key");
  await Bun.$`openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout ${key} -out ${cert} -days 2`.quiet();
  const both = await startProcess(
    bbsServer(
      "--db",
      join(dir, "tls.sqlite"),
      "--tls-cert",
      cert,
      "--tls-key",
      key,
      "--tls-port",
      "0",
    ),
    2,
  );
  const plainRates: number[] = [];
  const tlsRates: number[] = [];
  for (let i = 0; i < WARMUP_RUNS; i++) {
    await load(both.port, ["post", String(CLIENTS), String(POSTS)]);
    await load(both.tlsPort as number, ["post", String(CLIENTS), String(POSTS)], {
      LOAD_TLS_CA: cert,
    });
  }
  for (let i = 0; i < TLS_RUNS; i++) {
    const args = ["post", String(CLIENTS), String(POSTS)];
    plainRates.push((await load(both.port, args)).posts_per_s ?? 0);
    tlsRates.push(
      (await load(both.tlsPort as number, args, { LOAD_TLS_CA: cert })).posts_per_s ?? 0,
    );
  }
  await both.stop();

  // The seed's design: a Python thread per client, posts in a list in memory.
  const threaded = await startProcess([python, PY, "0"]);
  for (let i = 0; i < WARMUP_RUNS; i++) {
    await load(threaded.port, ["post", String(CLIENTS), String(POSTS)]);
  }
  const threadedRates: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    threadedRates.push(
      (await load(threaded.port, ["post", String(CLIENTS), String(POSTS)])).posts_per_s ?? 0,
    );
  }
  const threadedList = await load(threaded.port, ["list"]);
  await threaded.stop();

  // Ours with the store in PostgreSQL (the server on core 0 with PostgreSQL's processes unpinned:
  // they share the 2 cores with everything else).
  const pgRates: number[] = [];
  if (havePostgres()) {
    const pg = await startPostgres();
    try {
      const onPg = await startProcess(bbsServer("--postgres", pg.url));
      await load(onPg.port, ["post", String(CLIENTS), String(POSTS)]); // warm-up, shorter: slow
      for (let i = 0; i < PG_RUNS; i++) {
        pgRates.push(
          (await load(onPg.port, ["post", String(CLIENTS), String(POSTS)])).posts_per_s ?? 0,
        );
      }
      await onPg.stop();
    } finally {
      await pg.stop();
    }
  }

  const postsPerS = median(postRates);
  const threadedPerS = median(threadedRates);
  const result = {
    posts_per_s: Math.round(postsPerS),
    posts_per_s_cold: Math.round(coldRate),
    list_100k_ms: Math.round(median(listMs) * 10) / 10,
    posts_ratio_vs_threaded: Math.round((postsPerS / threadedPerS) * 100) / 100,
    threaded_posts_per_s: Math.round(threadedPerS),
    posts_per_s_sync_full: Math.round(fullRate),
    threaded_list_ms: Math.round(threadedList.ms ?? 0),
    threaded_list_posts: threadedList.count ?? 0,
    posts_per_s_postgres: pgRates.length ? Math.round(median(pgRates)) : null,
    posts_per_s_tls: Math.round(median(tlsRates)),
    posts_per_s_plain_same_process: Math.round(median(plainRates)),
    posts_ratio_tls_vs_plain: Math.round((median(tlsRates) / median(plainRates)) * 1000) / 1000,
    posts_ratio_postgres_vs_sqlite: pgRates.length
      ? Math.round((median(pgRates) / postsPerS) * 1000) / 1000
      : null,
    clients: CLIENTS,
    posts_per_client: POSTS,
    runs: RUNS,
    pinned: taskset !== null,
  };
  rows.push(
    [
      `posts/s (ours, WAL NORMAL, median of ${RUNS} after ${WARMUP_RUNS} warm-up runs)`,
      `${result.posts_per_s}  (runs: ${postRates.map(Math.round).join(", ")})`,
    ],
    ["posts/s (ours, the first run after start: not warm)", `${result.posts_per_s_cold}`],
    [
      "list of 100,000 posts, ms (median of 5)",
      `${result.list_100k_ms}  (runs: ${listMs.map((m) => m.toFixed(1)).join(", ")})`,
    ],
    ["posts/s (ours, WAL FULL, 1 run)", `${result.posts_per_s_sync_full}`],
    [
      `posts/s over TLS / plain, same server (median of ${TLS_RUNS})`,
      `${result.posts_per_s_tls} / ${result.posts_per_s_plain_same_process} = ${result.posts_ratio_tls_vs_plain}  (TLS runs: ${tlsRates.map(Math.round).join(", ")})`,
    ],
    [
      `posts/s (Python thread per client, in memory, same warm-up)`,
      `${result.threaded_posts_per_s}  (runs: ${threadedRates.map(Math.round).join(", ")})`,
    ],
    ["ratio ours / threaded", `${result.posts_ratio_vs_threaded}`],
    [
      `Python list of ${result.threaded_list_posts.toLocaleString("en")} posts, ms`,
      `${result.threaded_list_ms}`,
    ],
    [
      `posts/s (ours, PostgreSQL, median of ${PG_RUNS})`,
      pgRates.length
        ? `${result.posts_per_s_postgres}  (runs: ${pgRates.map(Math.round).join(", ")})`
        : "skipped: PostgreSQL 15 not installed",
    ],
    ["ratio PostgreSQL / SQLite", `${result.posts_ratio_postgres_vs_sqlite ?? "-"}`],
  );
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(
    `BBS bench: ${CLIENTS} clients × ${POSTS} posts, server on core 0, load on core 1${taskset ? "" : " (taskset missing: unpinned)"}`,
  );
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  console.log(JSON.stringify(result));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
