// The CLI on PostgreSQL + Redis: an instance killed with kill -9 in the middle of a stream of POSTs
// loses no acknowledged message (another instance reads every acknowledged id back).
import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  havePostgres,
  haveRedis,
  startPostgres,
  startRedis,
  type TestPostgres,
  type TestRedis,
} from "@netkit/testkit";
import { type ChatMessage, startWebChatServer } from "../../src/index.ts";

const ROOT = new URL("../../../../", import.meta.url).pathname;
const enabled = havePostgres() && haveRedis();
const it = enabled ? test : test.skip;

let pg: TestPostgres | undefined;
let redis: TestRedis | undefined;

beforeAll(async () => {
  if (!enabled) return;
  [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([pg?.stop(), redis?.stop()]);
});

async function startCli(args: string[]) {
  const child = Bun.spawn(
    ["bun", "run", "apps/cli", "httpchat", "--port", "0", "--print-port", ...args],
    { cwd: ROOT, stdout: "pipe", stderr: "pipe" },
  );
  const reader = child.stdout.getReader();
  let text = "";
  const deadline = Date.now() + 15_000;
  while (!/^\d+\n/.test(text) && Date.now() < deadline) {
    const { done, value } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const port = Number.parseInt(text, 10);
  if (!port) {
    child.kill(9);
    throw new Error(`no port from the CLI: ${await new Response(child.stderr).text()}`);
  }
  return { child, port };
}

it("kill -9 of an instance mid-traffic loses no acknowledged message", async () => {
  const url = await (pg as TestPostgres).createDatabase("kill9");
  // 8 writers from one address: past the per-address post limit by design
  const { child, port } = await startCli([
    "--postgres",
    url,
    "--redis",
    (redis as TestRedis).url,
    "--post-rate",
    "0",
  ]);
  const acked: number[] = [];
  let refused = 0;
  // 8 concurrent posters; the instance is killed while requests are in flight.
  const posters = Array.from({ length: 8 }, async (_, w) => {
    for (let i = 0; ; i++) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/chat`, {
          method: "POST",
          body: JSON.stringify({ text: `p${w}.${i}` }),
          signal: AbortSignal.timeout(5000),
        });
        if (res.status !== 201) throw new Error(`status ${res.status}`);
        acked.push(((await res.json()) as { id: number }).id);
      } catch {
        refused += 1; // connection reset by the kill: never acknowledged
        return;
      }
    }
  });
  const deadline = Date.now() + 10_000;
  while (acked.length < 300 && Date.now() < deadline) await Bun.sleep(5);
  child.kill(9);
  await Promise.all(posters);
  expect(await child.exited).not.toBe(0);
  expect(acked.length).toBeGreaterThanOrEqual(300);
  expect(refused).toBe(8);

  // A fresh instance on the same database reads every acknowledged message back.
  const other = await startWebChatServer({ port: 0, postgresUrl: url });
  try {
    const stored = new Set<number>();
    let since = 0;
    for (;;) {
      const res = await fetch(`http://127.0.0.1:${other.port}/messages?since=${since}`);
      const page = (await res.json()) as ChatMessage[];
      if (page.length === 0) break;
      for (const m of page) stored.add(m.id);
      since = page.at(-1)?.id ?? since;
    }
    for (const id of acked) expect(stored.has(id)).toBe(true);
  } finally {
    await other.stop();
  }
}, 60_000);

it("the CLI refuses --redis without --postgres", async () => {
  const child = Bun.spawn(["bun", "run", "apps/cli", "httpchat", "--redis", "redis://x:1"], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(await child.exited).toBe(2);
  expect(await new Response(child.stderr).text()).toContain("--redis needs --postgres");
});

it("the CLI exits 1 with a clear message when PostgreSQL is unreachable at start", async () => {
  const child = Bun.spawn(
    [
      "bun",
      "run",
      "apps/cli",
      "httpchat",
      "--port",
      "0",
      "--postgres",
      "postgres://u@127.0.0.1:1/x",
    ],
    { cwd: ROOT, stdout: "pipe", stderr: "pipe" },
  );
  expect(await child.exited).toBe(1);
  expect(await new Response(child.stderr).text()).toContain("storage unavailable");
}, 30_000);
