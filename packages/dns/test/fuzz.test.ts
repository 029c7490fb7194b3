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
