// Interop: the seed's own Python client (bbsclient-v1.2) against our server, unchanged.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { type BbsServer, startBbsServer } from "../../src/index.ts";

const python = Bun.which("python3", { PATH: "/usr/bin:/usr/local/bin" }) ?? Bun.which("python3");
if (!python && process.env.CI) throw new Error("python3 is missing: .ci/run must install python3");
const SEED = join(import.meta.dir, "..", "fixtures", "seed");

let server: BbsServer;
beforeAll(async () => {
  server = await startBbsServer({ port: 0, dbPath: ":memory:" });
});
afterAll(async () => {
  await server.stop();
});

async function seedClient(lines: string[]): Promise<{ out: string; code: number }> {
  const proc = Bun.spawn([python as string, join(SEED, "bbsclient_v1_2.py")], {
    cwd: SEED,
    env: { ...process.env, BBS_PORT: String(server.port), PYTHONDONTWRITEBYTECODE: "1" },
    stdin: new TextEncoder().encode(lines.map((l) => `${l}\n`).join("")),
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill(9), 20_000);
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  if (code !== 0) console.error(err);
  return { out, code };
}

test.skipIf(!python)(
  "the seed's client posts, sends a DM, lists both and quits",
  async () => {
    const ann = await seedClient([
      "127.0.0.1",
      "ann",
      "hello from 2019",
      "dm",
      "bob",
      "for bob",
      "list",
      "quit",
    ]);
    expect(ann.code).toBe(0);
    expect(ann.out).toContain("BBS Server 1.2");
    expect(ann.out).toContain("ann hello from 2019");
    const bob = await seedClient(["127.0.0.1", "bob", "listdms", "listdm", "list", "quit"]);
    expect(bob.code).toBe(0);
    expect(bob.out.match(/ann for bob/g)?.length).toBe(2);
    expect(bob.out).toContain("ann hello from 2019");
  },
  30_000,
);
