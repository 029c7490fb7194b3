// `bun run apps/cli dns serve` as a subprocess: start-up refusal, SIGHUP reload, SIGUSR1 counters, clean stop.
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireTool } from "./nsd.ts";
import { dig } from "./server-dig.ts";

const CLI = join(import.meta.dir, "..", "..", "..", "..", "apps", "cli");
const hasDig = requireTool(Bun.which("dig"), "dig", "bind9-dnsutils");
let dir = "";
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const zone = (serial: number, address: string) =>
  `$ORIGIN cli.test.\n$TTL 60\n@ SOA ns h ${serial} 1 1 1 1\n@ NS ns\nns A 192.0.2.1\nhost A ${address}\n`;

test("a zone file that doesn't parse: exit 1 with file:line:column", async () => {
  dir = mkdtempSync(join(tmpdir(), "netkit-cli-"));
  const path = join(dir, "bad.zone");
  writeFileSync(
    path,
    "$ORIGIN cli.test.\n$TTL 60\n@ SOA ns h 1 1 1 1 1\n@ NS ns\nx 60 IN A 1.2.3\n",
  );
  const p = Bun.spawn(
    ["bun", "run", CLI, "dns", "serve", "--zone", path, "--port", "0", "--names-port", "0"],
    {
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const timer = setTimeout(() => p.kill("SIGKILL"), 15_000);
  const [code, stderr] = await Promise.all([p.exited, new Response(p.stderr).text()]);
  clearTimeout(timer);
  expect(code).toBe(1);
  expect(stderr).toContain(`${path}:5:11: not an IPv4 address: 1.2.3`);
});

test.skipIf(!hasDig)(
  "serves, reloads on SIGHUP, prints counters on SIGUSR1, stops on SIGINT with 0",
  async () => {
    dir = mkdtempSync(join(tmpdir(), "netkit-cli-"));
    const path = join(dir, "cli.zone");
    writeFileSync(path, zone(1, "192.0.2.10"));
    const p = Bun.spawn(
      [
        "bun",
        "run",
        CLI,
        "dns",
        "serve",
        "--zone",
        path,
        "--port",
        "0",
        "--names-port",
        "0",
        "--print-port",
        "--no-watch",
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    const timer = setTimeout(() => p.kill("SIGKILL"), 30_000);
    try {
      const reader = p.stdout.getReader();
      let text = "";
      while (!text.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      const port = Number(text.trim());
      expect(port).toBeGreaterThan(0);
      expect((await dig(port, "host.cli.test", "A")).answer).toEqual([
        "host.cli.test. 60 IN A 192.0.2.10",
      ]);
      writeFileSync(path, zone(2, "192.0.2.20"));
      p.kill("SIGHUP");
      let answer: string[] = [];
      for (let i = 0; i < 50; i++) {
        answer = (await dig(port, "host.cli.test", "A")).answer;
        if (answer[0]?.endsWith("192.0.2.20")) break;
        await Bun.sleep(100);
      }
      expect(answer).toEqual(["host.cli.test. 60 IN A 192.0.2.20"]);
      p.kill("SIGUSR1");
      await Bun.sleep(300);
      p.kill("SIGINT");
      const [code, stderr] = await Promise.all([p.exited, new Response(p.stderr).text()]);
      expect(code).toBe(0);
      expect(stderr).toMatch(/dns stats queries=\d+ udp=\d+ tcp=0 NOERROR=\d+/);
      expect(stderr).toContain("zone.loaded");
    } finally {
      clearTimeout(timer);
      if (p.exitCode === null) p.kill("SIGKILL");
    }
  },
  40_000,
);
