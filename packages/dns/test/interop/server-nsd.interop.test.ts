// Differential: NSD serves the same zone file; for every case both answer with the same rcode, AA and TC
// flags, answer set, and (for negative answers and referrals) authority set.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { type DnsServer, startDnsServer } from "../../src/server/server.ts";
import { parseZone } from "../../src/zone/load.ts";
import { FIXTURE_ZONE } from "../server-helpers.ts";
import { NSD, type NsdServer, requireTool, startNsd } from "./nsd.ts";
import { dig } from "./server-dig.ts";

const hasTools =
  requireTool(NSD, "nsd", "nsd") && requireTool(Bun.which("dig"), "dig", "bind9-dnsutils");
const zoneText = readFileSync(FIXTURE_ZONE, "utf8");

let ours: DnsServer;
let nsd: NsdServer;
beforeAll(async () => {
  if (!hasTools) return;
  ours = await startDnsServer({ zones: [parseZone(zoneText, { file: FIXTURE_ZONE })], port: 0 });
  nsd = await startNsd({ "example.test": zoneText });
}, 20_000);
afterAll(async () => {
  await ours?.stop();
  await nsd?.stop();
});

/** [name, type], each asked over UDP with and without EDNS and over TCP. */
const QUERIES: [string, string][] = [
  ["example.test", "SOA"],
  ["example.test", "NS"],
  ["example.test", "MX"],
  ["example.test", "A"],
  ["www.example.test", "A"],
  ["WWW.Example.Test", "AAAA"],
  ["www.example.test", "TXT"],
  ["nope.example.test", "A"],
  ["deep.nope.example.test", "AAAA"],
  ["c.example.test", "A"],
  ["b.c.example.test", "TXT"],
  ["a.b.c.example.test", "A"],
  ["alias.example.test", "A"],
  ["alias.example.test", "CNAME"],
  ["chain.example.test", "AAAA"],
  ["chain.example.test", "MX"],
  ["dangling.example.test", "A"],
  ["away.example.test", "A"],
  ["foo.wild.example.test", "A"],
  ["foo.wild.example.test", "TXT"],
  ["foo.wild.example.test", "MX"],
  ["a.b.wild.example.test", "A"],
  ["sub.wild.example.test", "A"],
  ["sub.wild.example.test", "TXT"],
  ["x.sub.wild.example.test", "A"],
  ["wild.example.test", "A"],
  ["deleg.example.test", "A"],
  ["deleg.example.test", "NS"],
  ["host.deleg.example.test", "A"],
  ["ns.deleg.example.test", "A"],
  ["txt.example.test", "TXT"],
  ["big.example.test", "TXT"],
  ["srv.example.test", "SRV"],
  ["example.com", "A"],
  ["test", "SOA"],
];

const MODES = [
  { label: "udp+edns", tcp: false, edns: true },
  { label: "udp", tcp: false, edns: false },
  { label: "tcp", tcp: true, edns: false },
];

test.skipIf(!hasTools)(
  "our answers match NSD's for every case",
  async () => {
    const differences: string[] = [];
    const seen = new Set<string>();
    for (const [name, type] of QUERIES) {
      for (const mode of MODES) {
        const o = { tcp: mode.tcp, edns: mode.edns, ignoreTc: true };
        const [a, b] = await Promise.all([
          dig(ours.port, name, type, o),
          dig(nsd.port, name, type, o),
        ]);
        const what = `${name} ${type} ${mode.label}`;
        const flag = (f: string) => `${f}=${a.flags.has(f)}/${b.flags.has(f)}`;
        if (a.status !== b.status)
          differences.push(`${what}: rcode ${a.status} vs NSD ${b.status}`);
        for (const f of ["aa", "tc"])
          if (a.flags.has(f) !== b.flags.has(f)) differences.push(`${what}: ${flag(f)}`);
        if (b.status === "NONE") differences.push(`${what}: NSD did not answer`);
        seen.add(b.status);
        if (b.answer.length > 0) seen.add("answer");
        if (!b.flags.has("aa")) seen.add("not-aa");
        const truncated = b.flags.has("tc");
        if (!truncated && JSON.stringify(a.answer) !== JSON.stringify(b.answer)) {
          differences.push(
            `${what}: answer\n  ours ${JSON.stringify(a.answer)}\n  nsd  ${JSON.stringify(b.answer)}`,
          );
        }
        const negativeOrReferral =
          a.answer.length === 0 || b.answer.length === 0 || b.status === "NXDOMAIN";
        if (
          !truncated &&
          negativeOrReferral &&
          JSON.stringify(a.authority) !== JSON.stringify(b.authority)
        ) {
          differences.push(
            `${what}: authority\n  ours ${JSON.stringify(a.authority)}\n  nsd  ${JSON.stringify(b.authority)}`,
          );
        }
      }
    }
    expect(differences).toEqual([]);
    // The cases did cover what they claim to: answers, NXDOMAIN, referrals/refusals (AA clear).
    expect([...seen].sort()).toEqual(["NOERROR", "NXDOMAIN", "REFUSED", "answer", "not-aa"]);
  },
  120_000,
);
