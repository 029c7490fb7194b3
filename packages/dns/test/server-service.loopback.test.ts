import { afterEach, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RecordType } from "../src/constants.ts";
import { lookupName } from "../src/names/client.ts";
import { type DnsService, startDnsService } from "../src/server/service.ts";
import { udpQuery } from "./server-helpers.ts";

let dir = "";
let service: DnsService | undefined;
afterEach(async () => {
  await service?.stop();
  service = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

const zone = (serial: number) => `$ORIGIN files.test.
$TTL 60
@ SOA ns h ${serial} 1 1 1 1
@ NS ns
ns A 192.0.2.1
$INCLUDE hosts/hosts.inc
bbs CNAME host
`;

test("zone files with $INCLUDE; the name service answers from the zone; reload keeps the last good version", async () => {
  dir = mkdtempSync(join(tmpdir(), "netkit-dns-"));
  mkdirSync(join(dir, "hosts"));
  const path = join(dir, "files.zone");
  writeFileSync(join(dir, "hosts", "hosts.inc"), "host A 192.0.2.10\n");
  writeFileSync(path, zone(1));
  const logs: string[] = [];
  const namesPort = await freePort();
  service = await startDnsService({
    port: 0,
    namesPort,
    zoneFiles: [{ path }],
    watchIntervalMs: 50,
    log: (e) => logs.push(`${e.event} ${e.error ?? ""}`),
  });
  expect(service.names?.port).toBe(namesPort);
  expect(await lookupName("BBS.files.test.", { port: namesPort })).toBe("192.0.2.10");
  expect(await lookupName("missing.files.test", { port: namesPort })).toBeNull();

  // A change on disk is picked up without a restart.
  writeFileSync(join(dir, "hosts", "hosts.inc"), "host A 192.0.2.11\n");
  writeFileSync(path, `${zone(2)}\n; changed\n`);
  for (
    let i = 0;
    i < 100 && (await lookupName("bbs.files.test", { port: namesPort })) !== "192.0.2.11";
    i++
  ) {
    await Bun.sleep(50);
  }
  expect(await lookupName("bbs.files.test", { port: namesPort })).toBe("192.0.2.11");

  // A broken file is logged with its position, and the last good zone keeps answering.
  writeFileSync(
    path,
    "$ORIGIN files.test.\n$TTL 60\n@ SOA ns h 3 1 1 1 1\nbad IN A not-an-address\n",
  );
  for (let i = 0; i < 100 && !logs.some((l) => l.startsWith("zone.reload_failed")); i++)
    await Bun.sleep(50);
  const failure = logs.find((l) => l.startsWith("zone.reload_failed"));
  expect(failure).toContain(`${path}:4:10:`);
  const m = await udpQuery(service.dns.port, "host.files.test.", RecordType.A);
  expect(m.answers.map((r) => r.data)).toEqual([{ address: "192.0.2.11" }]);
  // SIGHUP's path: an explicit reload of a fixed file.
  writeFileSync(path, zone(4));
  service.reloadZones();
  expect(
    (await udpQuery(service.dns.port, "files.test.", RecordType.SOA)).answers[0]?.data,
  ).toMatchObject({ serial: 4 });
});

test("a zone file that doesn't parse refuses the start with file:line:column", async () => {
  dir = mkdtempSync(join(tmpdir(), "netkit-dns-"));
  const path = join(dir, "broken.zone");
  writeFileSync(path, '$ORIGIN b.test.\n$TTL 60\n@ SOA ns h 1 1 1 1 1\n@ NS ns\nx TXT "open\n');
  await expect(startDnsService({ port: 0, namesPort: 0, zoneFiles: [{ path }] })).rejects.toThrow(
    `${path}:5:7: unterminated quoted string`,
  );
});

test("without zone files it serves the default netkit.test zone", async () => {
  service = await startDnsService({ port: 0, namesPort: 0 });
  expect(service.names).toBeNull();
  for (const host of ["bbs", "chat", "web", "dns"]) {
    const m = await udpQuery(service.dns.port, `${host}.netkit.test.`, RecordType.A);
    expect(m.answers.map((r) => r.data)).toEqual([{ address: "127.0.0.1" }]);
  }
});
