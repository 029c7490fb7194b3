// Dev probe: the server in this process (pin it with taskset), the bench's load on core 1; per run
// wall time, this process's CPU (user/sys), the group-commit batches, checkpoints and WAL size.
// Usage: taskset -c 0 bun run bench/probe.ts [RUNS]; MEM=1 for an in-memory store, GAP=ms between runs.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBbsServer } from "../src/server.ts";

const RUNS = Number(Bun.argv[2] ?? 5);
const dir = mkdtempSync(join(tmpdir(), "bbs-probe-"));
const server = await startBbsServer({
  port: 0,
  dbPath: process.env.MEM ? ":memory:" : join(dir, "p.sqlite"),
  maxConnectionsPerAddress: 0, // the load generator is one address
});
const LOAD = join(import.meta.dir, "load.ts");
try {
  for (let r = 0; r < RUNS; r++) {
    const s0 = { ...server.store.stats };
    const c0 = process.cpuUsage();
    await Bun.sleep(Number(process.env.GAP ?? 0));
    const proc = Bun.spawn(
      ["taskset", "-c", "1", "bun", "run", LOAD, String(server.port), "post", "100", "1000"],
      { stdout: "pipe" },
    );
    const out = await new Response(proc.stdout).text();
    await proc.exited;
    const c = process.cpuUsage(c0);
    const res = JSON.parse(out.trim());
    const st = server.store.stats;
    const commits = st.commits - s0.commits;
    console.log(
      `run ${r}: ${Math.round(res.posts_per_s)} posts/s  ${res.ms.toFixed(1)} ms  cpu ${(c.user / 1000).toFixed(0)}u+${(c.system / 1000).toFixed(0)}s  commits ${commits}  avg batch ${((st.writes - s0.writes) / commits).toFixed(1)} ckpt ${st.checkpoints ?? 0} wal ${(() => {
        try {
          return require("node:fs").statSync(join(dir, "p.sqlite-wal")).size >> 20;
        } catch {
          return "-";
        }
      })()}MiB`,
    );
  }
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
