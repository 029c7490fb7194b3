import { expect, test } from "bun:test";
import { RecordType } from "../src/constants.ts";
import { ZoneSyntaxError } from "../src/zone/lexer.ts";
import { DEFAULT_ZONE_TEXT, defaultZone, parseZone } from "../src/zone/load.ts";

const head = "$ORIGIN z.test.\n$TTL 60\n@ SOA ns h 1 1 1 1 1\n@ NS ns\n";

test.each([
  ["no SOA", "$ORIGIN z.test.\n$TTL 60\n@ NS ns\n", 3, 1, "the zone has no SOA record"],
  [
    "no NS at the apex",
    "$ORIGIN z.test.\n$TTL 60\n@ SOA ns h 1 1 1 1 1\n",
    3,
    1,
    "the zone z.test. has no NS record at its apex",
  ],
  ["a second SOA", `${head}@ SOA ns h 2 1 1 1 1\n`, 5, 1, "a second SOA record"],
  [
    "a record outside the zone",
    `${head}www.other.test. A 192.0.2.1\n`,
    5,
    1,
    "www.other.test. is outside the zone z.test.",
  ],
  [
    "a CNAME next to other data",
    `${head}x A 192.0.2.1\nx CNAME y\n`,
    6,
    1,
    "x.z.test. has a CNAME and other data (RFC 1034 §3.6.2)",
  ],
  [
    "two CNAMEs",
    `${head}x CNAME a\nx CNAME b\n`,
    6,
    1,
    "x.z.test. has a CNAME and other data (RFC 1034 §3.6.2)",
  ],
  ["a bad address", `${head}x A 192.0.2\n`, 5, 5, "not an IPv4 address: 192.0.2"],
  ["a bad MX", `${head}x MX ten mail\n`, 5, 6, ""],
  ["an SOA away from the apex", "$ORIGIN z.test.\n$TTL 60\nsub SOA ns h 1 1 1 1 1\n", 3, 1, ""],
])("refuses %s with its position", (_, text, line, column, reason) => {
  let error: unknown;
  try {
    parseZone(text, { file: "z.zone", origin: text.includes("sub SOA") ? "z.test." : undefined });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ZoneSyntaxError);
  expect(error).toMatchObject({ code: "BAD_PRESENTATION", file: "z.zone", line, column });
  expect((error as ZoneSyntaxError).reason).toContain(reason);
});

test("identical records collapse; a set takes its first TTL", () => {
  const z = parseZone(`${head}x 10 A 192.0.2.1\nx 20 A 192.0.2.1\nx 30 A 192.0.2.2\n`);
  const set = z.tree.node("x.z.test.")?.rrsets.get(RecordType.A);
  expect(set?.map((r) => [r.ttl, r.data])).toEqual([
    [10, { address: "192.0.2.1" }],
    [10, { address: "192.0.2.2" }],
  ]);
});

test("the default zone is netkit.test with bbs, chat, web and dns on loopback", () => {
  const z = defaultZone();
  expect(z.origin).toBe("netkit.test.");
  for (const h of ["bbs", "chat", "web", "dns"]) {
    expect(z.tree.node(`${h}.netkit.test.`)?.rrsets.get(RecordType.A)?.[0]?.data).toEqual({
      address: "127.0.0.1",
    });
  }
  expect(DEFAULT_ZONE_TEXT).toContain("$ORIGIN netkit.test.");
});
