// Fuzz: ≥100,000 random and mutated packets per run; every one decodes or fails with a DnsError.
import { expect, test } from "bun:test";
import { fuzz } from "./fuzz-cases.ts";

// A new seed each run widens coverage; the seed is printed so any failure can be replayed with
// `bun run scripts/fuzz.ts --seed N`.
const seed = Number(process.env.DNS_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

test(`100,000 random and mutated packets (seed ${seed})`, () => {
  const stats = fuzz(seed, 100_000);
  console.log(`fuzz seed=${seed} ${JSON.stringify(stats)}`);
  expect(stats.cases).toBe(100_000);
  // Both paths were exercised: some packets decoded, some were rejected.
  expect(stats.decoded).toBeGreaterThan(1000);
  expect(Object.values(stats.rejected).reduce((a, b) => a + b, 0)).toBeGreaterThan(1000);
}, 120_000);

// Presentation text: random lines assembled from record-ish pieces must parse or throw a DnsError;
// whatever parses must print and parse back to the same record.
const PIECES = [
  "example.com.",
  "a",
  "@",
  "*",
  "300",
  "1h",
  "IN",
  "CH",
  "CLASS9",
  "A",
  "AAAA",
  "MX",
  "TXT",
  "SRV",
  "SOA",
  "CAA",
  "NS",
  "PTR",
  "CNAME",
  "TYPE65280",
  "\\#",
  "4",
  "0",
  "0A000001",
  "192.0.2.1",
  "2001:db8::1",
  "::ffff:1.2.3.4",
  "10",
  "65535",
  "70000",
  "mail",
  "a\\.b",
  "\\065",
  "\\999",
  '"x y"',
  '"\\"q\\""',
  '""',
  '"\\255"',
  "issue",
  '"ca.example"',
  "-1",
  "1.2.3",
  "x".repeat(64),
  ".",
];

test(`20,000 random presentation lines (seed ${seed})`, async () => {
  const { prng } = await import("./helpers.ts");
  const { DnsError } = await import("../src/index.ts");
  const { formatRecord, parseRecord } = await import("../src/presentation/index.ts");
  const rand = prng(seed);
  let parsed = 0;
  for (let i = 0; i < 20_000; i++) {
    const n = 2 + Math.floor(rand() * 8);
    const line = Array.from({ length: n }, () => PIECES[Math.floor(rand() * PIECES.length)]).join(
      " ",
    );
    let rr: ReturnType<typeof parseRecord> | undefined;
    try {
      rr = parseRecord(line, "example.com.");
    } catch (e) {
      if (!(e instanceof DnsError))
        throw new Error(`seed ${seed} line ${JSON.stringify(line)}: ${e}`);
    }
    if (rr) {
      parsed++;
      expect(parseRecord(formatRecord(rr))).toEqual(rr);
    }
  }
  expect(parsed).toBeGreaterThan(100);
});
