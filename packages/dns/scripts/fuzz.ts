// Standalone codec fuzzer: millions of random and mutated packets.
// Usage: bun run scripts/fuzz.ts [--seed N] [--cases N]   (default: random seed, 2,000,000 cases)
import { parseArgs } from "node:util";
import { fuzz, seedCorpus } from "../test/fuzz-cases.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: { seed: { type: "string" }, cases: { type: "string" } },
});
const seed = Number(values.seed ?? Math.floor(Math.random() * 2 ** 31));
const total = Number(values.cases ?? 2_000_000);
const corpus = seedCorpus();
const batch = 100_000;
const started = performance.now();
let maxMs = 0;
let decoded = 0;
const rejected: Record<string, number> = {};
console.log(`fuzzing ${total.toLocaleString()} packets, seed ${seed}`);
for (let done = 0, b = 0; done < total; done += batch, b++) {
  // Each batch gets its own derived seed so a failure names a seed that replays in one batch.
  const batchSeed = (seed + b * 0x9e3779b1) >>> 0;
  const n = Math.min(batch, total - done);
  const stats = fuzz(batchSeed, n, corpus);
  decoded += stats.decoded;
  maxMs = Math.max(maxMs, stats.maxMs);
  for (const [k, v] of Object.entries(stats.rejected)) rejected[k] = (rejected[k] ?? 0) + v;
  console.log(
    `${(done + n).toLocaleString()} packets (batch seed ${batchSeed}), max ${maxMs.toFixed(2)} ms/packet`,
  );
}
const seconds = (performance.now() - started) / 1000;
console.log(
  JSON.stringify({
    seed,
    cases: total,
    decoded,
    rejected,
    maxMsPerPacket: maxMs,
    seconds,
    packetsPerSecond: Math.round(total / seconds),
  }),
);
