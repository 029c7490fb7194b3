// A real secondary: NSD copies our zone by AXFR (request-xfr) and then answers from it.
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDnsServer } from "../../src/server/server.ts";
import { fixtureZones } from "../server-helpers.ts";
import { NSD, requireTool } from "./nsd.ts";
import { dig } from "./server-dig.ts";

const hasTools =
  requireTool(NSD, "nsd", "nsd") && requireTool(Bun.which("dig"), "dig", "bind9-dnsutils");

async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    try {
      (await Bun.udpSocket({ hostname: "127.0.0.1", port })).close();
      Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } }).stop(true);
      return port;
    } catch {}
  }
  throw new Error("no free port");
}

test.skipIf(!hasTools)(
  "NSD as a secondary transfers the zone from us and serves it",
  async () => {
    const primary = await startDnsServer({ zones: fixtureZones(), port: 0 });
    const dir = mkdtempSync(join(tmpdir(), "netkit-secondary-"));
    const port = await freePort();
    writeFileSync(
      join(dir, "nsd.conf"),
      `server:
  ip-address: 127.0.0.1
  port: ${port}
  zonesdir: "${dir}"
  database: ""
  zonelistfile: "${dir}/zone.list"
  pidfile: "${dir}/nsd.pid"
  xfrdfile: "${dir}/xfrd.state"
  xfrdir: "${dir}"
  username: ""
  logfile: "${dir}/nsd.log"
  server-count: 1
  chroot: ""
remote-control:
  control-enable: no
zone:
  name: "example.test"
  zonefile: "example.test.zone"
  request-xfr: AXFR 127.0.0.1@${primary.port} NOKEY
  allow-notify: 127.0.0.1 NOKEY
`,
    );
    const nsd = Bun.spawn([NSD as string, "-d", "-c", join(dir, "nsd.conf")], {
      stdout: "ignore",
      stderr: "ignore",
    });
    try {
      let status = "";
      for (let i = 0; i < 100 && status !== "NOERROR"; i++) {
        await Bun.sleep(100);
        status = (await dig(port, "www.example.test", "A")).status;
      }
      const r = await dig(port, "chain.example.test", "A");
      expect(r.status).toBe("NOERROR");
      expect(r.flags.has("aa")).toBe(true);
      expect(r.answer).toContain("www.example.test. 3600 IN A 192.0.2.3");
      expect(primary.stats().axfr).toBeGreaterThanOrEqual(1);
    } finally {
      nsd.kill("SIGTERM");
      await Promise.race([nsd.exited, Bun.sleep(3000)]);
      if (nsd.exitCode === null) nsd.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
      await primary.stop();
    }
  },
  30_000,
);
