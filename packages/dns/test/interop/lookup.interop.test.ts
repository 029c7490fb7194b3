// `lookup` against a real NSD, compared with real dig: --short must print exactly what +short
// prints, --json must agree, exit codes must follow dig. Also golden captures from dig <-> NSD.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { decodeMessage, encodeMessage } from "../../src/index.ts";
import { startCapture } from "./capture.ts";
import { DIG, NSD, type NsdServer, requireTool, run, startNsd } from "./nsd.ts";

const haveTools = requireTool(NSD, "nsd", "nsd") && requireTool(DIG, "dig", "bind9-dnsutils");
const MAIN = join(import.meta.dir, "../../../../apps/cli/src/main.ts");
let nsd: NsdServer;

beforeAll(async () => {
  if (haveTools) nsd = await startNsd();
}, 20_000);
afterAll(async () => {
  await nsd?.stop();
});

const lookup = (...args: string[]) => run([process.execPath, MAIN, "lookup", ...args]);
const dig = (...args: string[]) =>
  run([DIG as string, "@127.0.0.1", "-p", String(nsd.port), "+tries=1", "+time=3", ...args]);

// [label, lookup args, dig args, expected status]
const CASES: [string, string[], string[], string][] = [
  ["A", ["example.test", "A"], ["example.test", "A"], "NOERROR"],
  ["AAAA", ["example.test", "AAAA"], ["example.test", "AAAA"], "NOERROR"],
  ["MX", ["example.test", "-type=MX"], ["example.test", "MX"], "NOERROR"],
  ["TXT", ["example.test", "-query=TXT"], ["example.test", "TXT"], "NOERROR"],
  ["SOA", ["example.test", "SOA"], ["example.test", "SOA"], "NOERROR"],
  ["NS", ["example.test", "NS"], ["example.test", "NS"], "NOERROR"],
  ["CNAME", ["www.example.test", "CNAME"], ["www.example.test", "CNAME"], "NOERROR"],
  ["A via a CNAME chain", ["www.example.test"], ["www.example.test", "A"], "NOERROR"],
  ["SRV", ["_sip._tcp.example.test", "SRV"], ["_sip._tcp.example.test", "SRV"], "NOERROR"],
  ["CAA", ["example.test", "CAA"], ["example.test", "CAA"], "NOERROR"],
  ["unknown type", ["odd.example.test", "TYPE65280"], ["odd.example.test", "TYPE65280"], "NOERROR"],
  ["escaped owner", ["esc\\.aped.example.test"], ["esc\\.aped.example.test", "A"], "NOERROR"],
  ["PTR (-x)", ["-x", "192.0.2.25"], ["-x", "192.0.2.25"], "NOERROR"],
  ["NXDOMAIN", ["missing.example.test", "A"], ["missing.example.test", "A"], "NXDOMAIN"],
  ["NODATA", ["mail.example.test", "MX"], ["mail.example.test", "MX"], "NODATA"],
  [
    "TXT forcing truncation (TCP retry)",
    ["big.example.test", "TXT"],
    ["big.example.test", "TXT"],
    "NOERROR",
  ],
];

describe.skipIf(!haveTools)("lookup vs dig against NSD", () => {
  for (const [label, args, digArgs, status] of CASES) {
    test(label, async () => {
      const server = `@127.0.0.1:${nsd.port}`;
      const [ours, theirs, json] = await Promise.all([
        lookup(...args, server, "--short"),
        dig(...digArgs, "+short"),
        lookup(...args, server, "--json"),
      ]);
      expect(theirs.code).toBe(0);
      expect(ours.code).toBe(0);
      expect(ours.stdout).toBe(theirs.stdout);
      const j = JSON.parse(json.stdout);
      expect(json.code).toBe(0);
      expect(j.status).toBe(status);
      const short = (j.answerRRs as { rdata: string }[]).map((r) => `${r.rdata}\n`).join("");
      expect(short).toBe(theirs.stdout);
      if (label.includes("truncation")) {
        expect(j.server).toMatchObject({ transport: "tcp", retriedOverTcp: true });
        expect(theirs.stdout.length).toBeGreaterThan(1232);
      }
      if (status === "NXDOMAIN" || status === "NODATA") expect(j.negativeTtl).toBe(120);
    });
  }

  test("default output has dig's sections and the same records as dig", async () => {
    const [ours, theirs] = await Promise.all([
      lookup("www.example.test", `@127.0.0.1:${nsd.port}`),
      dig("www.example.test", "A"),
    ]);
    expect(ours.code).toBe(0);
    const sectionLines = (text: string) =>
      text.split("\n").filter((l) => l !== "" && !l.startsWith(";") && !l.startsWith("\t"));
    expect(sectionLines(ours.stdout)).toEqual(sectionLines(theirs.stdout));
    for (const marker of [
      ";; ->>HEADER<<- opcode: QUERY, status: NOERROR",
      ";; flags: qr aa rd;",
      ";; QUESTION SECTION:",
      ";www.example.test.\t\tIN\tA",
      ";; ANSWER SECTION:",
      ";; AUTHORITY SECTION:",
      ";; Query time:",
      `;; SERVER: 127.0.0.1#${nsd.port}(127.0.0.1) (UDP)`,
    ]) {
      expect(ours.stdout).toContain(marker);
    }
  });

  test("--tcp forces TCP", async () => {
    const r = await lookup("example.test", `@127.0.0.1:${nsd.port}`, "--tcp", "--json");
    expect(JSON.parse(r.stdout).server).toMatchObject({ transport: "tcp", retriedOverTcp: false });
  });

  test("--explain tells NXDOMAIN, NODATA, CNAME steps and truncation apart", async () => {
    const s = `@127.0.0.1:${nsd.port}`;
    const [nx, nodata, chain, big] = await Promise.all([
      lookup("missing.example.test", s, "--explain"),
      lookup("mail.example.test", "MX", s, "--explain", "--short"),
      lookup("www.example.test", s, "--explain", "--json"),
      lookup("big.example.test", "TXT", s, "--explain", "--short"),
    ]);
    expect(nx.stdout).toContain("NXDOMAIN: missing.example.test. does not exist");
    expect(nx.stdout).toContain(
      "The SOA of example.test. in the authority section sets the negative TTL: 120 s",
    );
    expect(nodata.stdout).toContain(
      "NODATA: mail.example.test. exists (status NOERROR) but has no MX records",
    );
    const explain = JSON.parse(chain.stdout).explain as string[];
    expect(explain).toContain(
      "www.example.test. is an alias (CNAME, TTL 300) for web.example.test.; followed it.",
    );
    expect(explain).toContain("example.test. has 2 A records.");
    expect(big.stdout).toContain("had the TC (truncated) bit set");
  });
});

describe.skipIf(!haveTools)("exit codes (CLI as a subprocess)", () => {
  test("9 when no server replies", async () => {
    // A UDP port nobody serves: bind one, note it, close it.
    const s = await Bun.udpSocket({ hostname: "127.0.0.1" });
    const port = s.port;
    s.close();
    const r = await lookup(
      "example.test",
      `@127.0.0.1:${port}`,
      "--timeout",
      "200",
      "--retries",
      "1",
    );
    expect(r.code).toBe(9);
    expect(r.stderr).toContain("no servers could be reached");
  });
  test("0 for NXDOMAIN, and it is said", async () => {
    const r = await lookup("missing.example.test", `@127.0.0.1:${nsd.port}`);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("status: NXDOMAIN");
  });
  test("2 for usage errors", async () => {
    expect((await lookup()).code).toBe(2);
    expect((await lookup("example.test", "-type=NOPE")).code).toBe(2);
    expect((await lookup("example.test", "@not-an-ip")).code).toBe(2);
    expect((await lookup("-x", "not-an-address")).code).toBe(2);
  });
  test("1 for a reply that cannot be parsed", async () => {
    // A server that answers with our id and a header promising a question that is not there.
    const bad = await Bun.udpSocket({
      hostname: "127.0.0.1",
      binaryType: "uint8array",
      socket: {
        data(sock, buf, port, address) {
          sock.send(
            Uint8Array.of(buf[0] ?? 0, buf[1] ?? 0, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0),
            port,
            address,
          );
        },
      },
    });
    try {
      const r = await lookup(
        "example.test",
        `@127.0.0.1:${bad.port}`,
        "--timeout",
        "1000",
        "--retries",
        "0",
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("reply could not be parsed");
    } finally {
      bad.close();
    }
  });
});

describe.skipIf(!haveTools)("golden bytes captured live from dig and NSD", () => {
  test("every captured query and reply decodes and re-encodes to the same bytes", async () => {
    const cap = await startCapture(nsd.port);
    try {
      for (const args of [
        ["www.example.test", "A"],
        ["example.test", "MX"],
        ["missing.example.test", "A"],
        ["example.test", "TXT"],
        ["odd.example.test", "TYPE65280"],
        ["-x", "192.0.2.1"],
      ]) {
        const r = await run([
          DIG as string,
          "@127.0.0.1",
          "-p",
          String(cap.port),
          "+tries=1",
          "+time=3",
          ...args,
        ]);
        expect(r.code).toBe(0);
      }
    } finally {
      cap.close();
    }
    expect(cap.queries.length).toBe(6);
    expect(cap.replies.length).toBe(6);
    for (const bytes of [...cap.queries, ...cap.replies]) {
      expect(Buffer.from(encodeMessage(decodeMessage(bytes))).toString("hex")).toBe(
        Buffer.from(bytes).toString("hex"),
      );
    }
  });
});
