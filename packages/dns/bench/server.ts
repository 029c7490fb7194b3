// Server bench: dnsperf against our server and against NSD serving the same zone file, same query file,
// each server pinned to core 0 and dnsperf to core 1, over UDP and then over TCP (`-m tcp`, RFC 7766
// pipelining on dnsperf's 4 connections). `benchServer()` returns the figures for bench.ts.
// Run directly with `--serve ZONEFILE` it is the server process the bench starts.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDnsServer } from "../src/server/server.ts";
import { parseZone } from "../src/zone/load.ts";

const ZONE_FILE = join(import.meta.dir, "..", "test", "fixtures", "example.test.zone");
const SECONDS = Number(process.env.BENCH_DNS_SECONDS ?? 8);

/** The query mix: types across the zone's cases, and ~10% names that don't exist. */
function queryFile(): string {
  const lines: string[] = [];
  const positive = [
    "www.example.test A",
    "www.example.test AAAA",
    "example.test MX",
    "example.test NS",
    "example.test SOA",
    "txt.example.test TXT",
    "chain.example.test A",
    "alias.example.test A",
    "host1.wild.example.test A",
    "host2.wild.example.test TXT",
    "host.deleg.example.test A",
    "srv.example.test SRV",
    "mail.example.test A",
    "www.example.test MX",
    "b.c.example.test A",
    "ns1.example.test A",
    "away.example.test A",
    "a.b.c.example.test A",
  ];
  for (let i = 0; i < 900; i++) lines.push(positive[i % positive.length] as string);
  for (let i = 0; i < 100; i++) lines.push(`missing${i}.example.test A`);
  // Interleave so NXDOMAIN is spread through the run.
  const mixed: string[] = [];
  for (let i = 0; i < 100; i++)
    mixed.push(...lines.slice(i * 9, i * 9 + 9), lines[900 + i] as string);
  return `${mixed.join("\n")}\n`;
}

/** Total utime+stime (clock ticks) of a process and all its descendants (their threads included). */
function cpuTicks(pid: number): number {
  let total = 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    total += Number(fields[11]) + Number(fields[12]);
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const children = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      for (const child of children ? children.split(" ") : []) total += cpuTicks(Number(child));
    }
  } catch {}
  return total;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    try {
      const u = await Bun.udpSocket({ hostname: "127.0.0.1", port });
      u.close();
      Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } }).stop(true);
      return port;
    } catch {}
  }
  throw new Error("no free port");
}

async function waitForAnswer(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const p = Bun.spawn(
      [
        "dig",
        "@127.0.0.1",
        "-p",
        String(port),
        "example.test",
        "SOA",
        "+short",
        "+tries=1",
        "+time=1",
      ],
      {
        stdout: "pipe",
        stderr: "ignore",
      },
    );
    if ((await new Response(p.stdout).text()).includes("hostmaster")) return;
    await Bun.sleep(100);
  }
  throw new Error(`server on port ${port} never answered`);
}

interface Run {
  qps: number;
  avgLatencyMs: number;
  p99LatencyMs: number;
  cpuPercent: number;
  qpsPerCore: number;
  lostPercent: number;
}

/** Unmeasured run first, so both servers are measured warm (our JIT tiers up in the first seconds). */
const WARMUP_SECONDS = 3;
/** The fixed rate of the second run, where latency is compared at equal load. */
const FIXED_QPS = Number(process.env.BENCH_DNS_FIXED_QPS ?? 50_000);

async function dnsperf(
  port: number,
  queries: string,
  serverPid: number,
  seconds = SECONDS,
  maxQps = 0,
  mode: "udp" | "tcp" = "udp",
): Promise<Run> {
  // dnsperf writes its per-query lines to a file: reading them live would take CPU from both cores.
  const outFile = `${queries}.${port}.${mode}.out`;
  const before = cpuTicks(serverPid);
  const started = performance.now();
  const p = Bun.spawn(
    [
      "taskset",
      "-c",
      "1",
      "dnsperf",
      "-s",
      "127.0.0.1",
      "-p",
      String(port),
      "-d",
      queries,
      "-l",
      String(seconds),
      "-c",
      "4",
      "-q",
      "200",
      "-v",
      "-m",
      mode,
      ...(maxQps > 0 ? ["-Q", String(maxQps)] : []),
    ],
    { stdout: Bun.file(outFile), stderr: "ignore" },
  );
  await p.exited;
  const elapsedS = (performance.now() - started) / 1000;
  const cpuS = (cpuTicks(serverPid) - before) / CLOCK_TICKS;
  const out = readFileSync(outFile, "utf8");
  const latencies: number[] = [];
  for (const line of out.split("\n")) {
    if (!line.startsWith("> ")) continue;
    const seconds = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(seconds)) latencies.push(seconds);
  }
  latencies.sort((a, b) => a - b);
  const qps = Number(/Queries per second:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const avg = Number(/Average Latency \(s\):\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const lost = Number(/Queries lost:\s+\d+ \(([\d.]+)%\)/.exec(out)?.[1] ?? 0);
  const p99 = latencies[Math.floor(latencies.length * 0.99)] ?? 0;
  const cores = cpuS / elapsedS;
  return {
    qps: Math.round(qps),
    avgLatencyMs: Math.round(avg * 1e6) / 1000,
    p99LatencyMs: Math.round(p99 * 1e6) / 1000,
    cpuPercent: Math.round(cores * 1000) / 10,
    qpsPerCore: Math.round(qps / Math.max(cores, 0.01)),
    lostPercent: lost,
  };
}

async function stopProcess(p: ReturnType<typeof Bun.spawn>): Promise<void> {
  p.kill("SIGTERM");
  const code = await Promise.race([p.exited, Bun.sleep(3000).then(() => "timeout")]);
  if (code === "timeout") p.kill("SIGKILL");
}

/** Runs dnsperf against both servers; returns the figures (empty with a reason if a tool is missing). */
export async function benchServer(): Promise<Record<string, number | string>> {
  for (const tool of ["dnsperf", "nsd", "taskset", "dig"]) {
    if (!Bun.which(tool) && !Bun.which(tool, { PATH: "/usr/sbin:/usr/bin" })) {
      console.error(`!!! server bench skipped: ${tool} is not installed`);
      return { server_bench: `skipped: no ${tool}` };
    }
  }
  const dir = mkdtempSync(join(tmpdir(), "netkit-dnsbench-"));
  const queries = join(dir, "queries.txt");
  writeFileSync(queries, queryFile());
  const results: Record<string, number | string> = {};
  try {
    // Ours.
    const ourPort = await freePort();
    const ours = Bun.spawn(
      [
        "taskset",
        "-c",
        "0",
        process.execPath,
        import.meta.path,
        "--serve",
        ZONE_FILE,
        String(ourPort),
      ],
      {
        stdout: "ignore",
        stderr: "inherit",
      },
    );
    let our: Run;
    let ourFixed: Run;
    let ourTcp: Run;
    try {
      await waitForAnswer(ourPort);
      await dnsperf(ourPort, queries, ours.pid, WARMUP_SECONDS, FIXED_QPS); // JIT warm-up, not counted
      ourFixed = await dnsperf(ourPort, queries, ours.pid, 3, FIXED_QPS);
      our = await dnsperf(ourPort, queries, ours.pid);
      await dnsperf(ourPort, queries, ours.pid, WARMUP_SECONDS, FIXED_QPS, "tcp"); // the TCP path warm too
      ourTcp = await dnsperf(ourPort, queries, ours.pid, SECONDS, 0, "tcp");
    } finally {
      await stopProcess(ours);
    }
    // NSD on the same zone file.
    const nsdPort = await freePort();
    writeFileSync(join(dir, "example.test.zone"), readFileSync(ZONE_FILE));
    writeFileSync(
      join(dir, "nsd.conf"),
      `server:
  ip-address: 127.0.0.1
  port: ${nsdPort}
  zonesdir: "${dir}"
  database: ""
  zonelistfile: "${dir}/zone.list"
  pidfile: "${dir}/nsd.pid"
  xfrdfile: "${dir}/xfrd.state"
  xfrdir: "${dir}"
  username: ""
  logfile: "${dir}/nsd.log"
  server-count: 1
  verbosity: 0
  chroot: ""
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: "example.test"
  zonefile: "example.test.zone"
`,
    );
    const nsdPath = Bun.which("nsd") ?? "/usr/sbin/nsd";
    const nsd = Bun.spawn(["taskset", "-c", "0", nsdPath, "-d", "-c", join(dir, "nsd.conf")], {
      stdout: "ignore",
      stderr: "ignore",
    });
    let theirs: Run;
    let theirsFixed: Run;
    let theirsTcp: Run;
    try {
      await waitForAnswer(nsdPort);
      await dnsperf(nsdPort, queries, nsd.pid, WARMUP_SECONDS, FIXED_QPS); // same treatment for NSD
      theirsFixed = await dnsperf(nsdPort, queries, nsd.pid, 3, FIXED_QPS);
      theirs = await dnsperf(nsdPort, queries, nsd.pid);
      await dnsperf(nsdPort, queries, nsd.pid, WARMUP_SECONDS, FIXED_QPS, "tcp");
      theirsTcp = await dnsperf(nsdPort, queries, nsd.pid, SECONDS, 0, "tcp");
    } finally {
      await stopProcess(nsd);
    }
    console.log(
      `dnsperf, UDP, server on core 0, dnsperf on core 1 (-c 4 -q 200), after a ${WARMUP_SECONDS} s warm-up; flat out for ${SECONDS} s:`,
    );
    console.log("  server      QPS        avg ms   p99 ms   server CPU   QPS/core   lost %");
    for (const [name, r] of [
      ["netkit", our],
      ["nsd", theirs],
      ["netkit TCP", ourTcp],
      ["nsd TCP", theirsTcp],
    ] as const) {
      console.log(
        `  ${name.padEnd(10)}  ${String(r.qps).padStart(9)}  ${r.avgLatencyMs.toFixed(3).padStart(7)}  ${r.p99LatencyMs.toFixed(3).padStart(7)}  ${`${r.cpuPercent}%`.padStart(10)}  ${String(r.qpsPerCore).padStart(9)}  ${String(r.lostPercent).padStart(6)}`,
      );
    }
    console.log(
      `  at a fixed ${FIXED_QPS} QPS (3 s): p99 netkit ${ourFixed.p99LatencyMs} ms (avg ${ourFixed.avgLatencyMs}, CPU ${ourFixed.cpuPercent}%), nsd ${theirsFixed.p99LatencyMs} ms (avg ${theirsFixed.avgLatencyMs}, CPU ${theirsFixed.cpuPercent}%)`,
    );
    Object.assign(results, {
      server_qps: our.qps,
      server_avg_latency_ms: our.avgLatencyMs,
      server_p99_latency_ms: our.p99LatencyMs,
      server_cpu_percent: our.cpuPercent,
      server_qps_per_core: our.qpsPerCore,
      nsd_qps: theirs.qps,
      nsd_avg_latency_ms: theirs.avgLatencyMs,
      nsd_p99_latency_ms: theirs.p99LatencyMs,
      nsd_cpu_percent: theirs.cpuPercent,
      nsd_qps_per_core: theirs.qpsPerCore,
      fixed_qps: FIXED_QPS,
      server_p99_latency_ms_at_fixed_qps: ourFixed.p99LatencyMs,
      nsd_p99_latency_ms_at_fixed_qps: theirsFixed.p99LatencyMs,
      server_cpu_percent_at_fixed_qps: ourFixed.cpuPercent,
      nsd_cpu_percent_at_fixed_qps: theirsFixed.cpuPercent,
      qps_per_core_ratio_vs_nsd:
        Math.round((our.qpsPerCore / Math.max(theirs.qpsPerCore, 1)) * 100) / 100,
      server_tcp_qps: ourTcp.qps,
      server_tcp_p99_latency_ms: ourTcp.p99LatencyMs,
      server_tcp_qps_per_core: ourTcp.qpsPerCore,
      nsd_tcp_qps: theirsTcp.qps,
      nsd_tcp_p99_latency_ms: theirsTcp.p99LatencyMs,
      nsd_tcp_qps_per_core: theirsTcp.qpsPerCore,
      tcp_qps_per_core_ratio_vs_nsd:
        Math.round((ourTcp.qpsPerCore / Math.max(theirsTcp.qpsPerCore, 1)) * 100) / 100,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

if (import.meta.main && process.argv[2] === "--serve") {
  const file = process.argv[3] as string;
  const server = await startDnsServer({
    zones: [parseZone(readFileSync(file, "utf8"), { file })],
    port: Number(process.argv[4]),
    rrlPerSecond: 0, // dnsperf sends everything from one address; NSD's RRL is off too
  });
  const stop = async () => {
    await server.stop();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
} else if (import.meta.main) {
  console.log(JSON.stringify(await benchServer()));
}
