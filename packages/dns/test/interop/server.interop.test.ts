// dig and kdig against the running server: every answer case, UDP and TCP, with and without EDNS, AXFR.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type DnsServer, startDnsServer } from "../../src/server/server.ts";
import { fixtureZones } from "../server-helpers.ts";
import { requireTool, run } from "./nsd.ts";
import { dig, KDIG } from "./server-dig.ts";

const hasDig = requireTool(Bun.which("dig"), "dig", "bind9-dnsutils");
const hasKdig = requireTool(KDIG, "kdig", "knot-dnsutils");

let server: DnsServer;
beforeAll(async () => {
  server = await startDnsServer({ zones: fixtureZones(), port: 0 });
});
afterAll(async () => {
  await server.stop();
});

const SOA =
  "example.test. 300 IN SOA ns1.example.test. hostmaster.example.test. 2024010101 7200 3600 1209600 300";

/** [case, name, type, status, aa, answer lines, authority lines] */
const CASES: [string, string, string, string, boolean, string[], string[]][] = [
  [
    "an A record",
    "www.example.test",
    "A",
    "NOERROR",
    true,
    ["www.example.test. 3600 IN A 192.0.2.3"],
    [],
  ],
  ["NXDOMAIN", "nope.example.test", "A", "NXDOMAIN", true, [], [SOA]],
  ["NODATA", "www.example.test", "MX", "NOERROR", true, [], [SOA]],
  ["an empty non-terminal", "b.c.example.test", "A", "NOERROR", true, [], [SOA]],
  [
    "a CNAME chain",
    "chain.example.test",
    "A",
    "NOERROR",
    true,
    [
      "alias.example.test. 3600 IN CNAME www.example.test.",
      "chain.example.test. 3600 IN CNAME alias.example.test.",
      "www.example.test. 3600 IN A 192.0.2.3",
    ],
    [],
  ],
  [
    "a wildcard",
    "any.wild.example.test",
    "A",
    "NOERROR",
    true,
    ["any.wild.example.test. 3600 IN A 192.0.2.4"],
    [],
  ],
  [
    "below an existing name under the wildcard",
    "x.sub.wild.example.test",
    "A",
    "NXDOMAIN",
    true,
    [],
    [SOA],
  ],
  [
    "a referral",
    "host.deleg.example.test",
    "A",
    "NOERROR",
    false,
    [],
    [
      "deleg.example.test. 3600 IN NS ns.deleg.example.test.",
      "deleg.example.test. 3600 IN NS ns2.other.test.",
    ],
  ],
  ["a name in no zone", "example.com", "A", "REFUSED", false, [], []],
  [
    "TXT with quotes",
    "txt.example.test",
    "TXT",
    "NOERROR",
    true,
    ['txt.example.test. 3600 IN TXT "hello world" "semi;colon" "quote\\"d"'],
    [],
  ],
];

const TRANSPORTS = [
  { label: "UDP+EDNS", tcp: false, edns: true },
  { label: "UDP", tcp: false, edns: false },
  { label: "TCP+EDNS", tcp: true, edns: true },
  { label: "TCP", tcp: true, edns: false },
];

for (const tool of ["dig", "kdig"] as const) {
  describe.skipIf(tool === "dig" ? !hasDig : !hasKdig)(tool, () => {
    for (const t of TRANSPORTS) {
      test.each(CASES)(`${t.label}: %s`, async (_, name, type, status, aa, answer, authority) => {
        const r = await dig(server.port, name, type, { tool, tcp: t.tcp, edns: t.edns });
        expect(r.status).toBe(status);
        expect(r.flags.has("aa")).toBe(aa);
        expect(r.flags.has("ra")).toBe(false);
        expect(r.answer).toEqual(answer.map((l) => l.replace(/\s+/g, " ")).sort());
        expect(r.authority).toEqual(authority.sort());
        expect(r.edns).toBe(t.edns);
      });
    }

    test("without EDNS a big answer is truncated over UDP, complete over TCP", async () => {
      const udp = await dig(server.port, "big.example.test", "TXT", {
        tool,
        edns: false,
        ignoreTc: true,
      });
      expect([udp.flags.has("tc"), udp.answer.length]).toEqual([true, 0]);
      const tcp = await dig(server.port, "big.example.test", "TXT", {
        tool,
        edns: false,
        tcp: true,
      });
      expect([tcp.flags.has("tc"), tcp.answer.length]).toEqual([false, 6]);
      const edns = await dig(server.port, "big.example.test", "TXT", { tool, bufsize: 1232 });
      expect([edns.flags.has("tc"), edns.answer.length]).toEqual([false, 6]);
    });

    test("AXFR copies the zone", async () => {
      const cmd =
        tool === "dig"
          ? [
              "dig",
              "@127.0.0.1",
              "-p",
              String(server.port),
              "example.test",
              "AXFR",
              "+tries=1",
              "+time=3",
            ]
          : [
              KDIG as string,
              "@127.0.0.1",
              "-p",
              String(server.port),
              "example.test",
              "AXFR",
              "+retry=0",
              "+time=3",
            ];
      const r = await run(cmd);
      const records = r.stdout.split("\n").filter((l) => l !== "" && !l.startsWith(";"));
      expect(records.length).toBe(28);
      expect(records[0]).toContain("SOA");
      expect(records.at(-1)).toContain("SOA");
    });
  });
}

test.skipIf(!hasDig)("BADVERS for EDNS version 1 (dig retries with version 0)", async () => {
  const r = await run([
    "dig",
    "@127.0.0.1",
    "-p",
    String(server.port),
    "www.example.test",
    "+edns=1",
    "+noednsnegotiation",
    "+tries=1",
  ]);
  expect(r.stdout).toContain("status: BADVERS");
});
