// Codec benchmark: encode/decode of a typical answer (4 A records, compressed), ours vs dns-packet.
// Prints a table, then one JSON line with the figures (the last line of output).
import * as dnsPacket from "dns-packet";
import { createResponse } from "../src/codec/message.ts";
import { createQuery, decodeMessage, encodeMessage, RecordType } from "../src/index.ts";
import { benchServer } from "./server.ts";

const DURATION_MS = Number(process.env.BENCH_MS ?? 500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

/** Runs `fn` in batches for about DURATION_MS (after a warm-up) and returns calls per second. */
function measure(fn: () => unknown): number {
  const batch = 1000;
  const warmUntil = performance.now() + 100;
  while (performance.now() < warmUntil) for (let i = 0; i < batch; i++) fn();
  let calls = 0;
  const started = performance.now();
  let now = started;
  while (now - started < DURATION_MS) {
    for (let i = 0; i < batch; i++) fn();
    calls += batch;
    now = performance.now();
  }
  return Math.round((calls * 1000) / (now - started));
}

// The typical answer: www.example.com A with four addresses, every owner a pointer to the question.
const query = createQuery("www.example.com.", RecordType.A, { id: 0x1234, ednsUdpPayloadSize: 0 });
const message = createResponse(query);
message.recursionAvailable = true;
for (let i = 1; i <= 4; i++) {
  message.answers.push({
    name: "www.example.com.",
    type: RecordType.A,
    class: 1,
    ttl: 300,
    data: { address: `192.0.2.${i}` },
  });
}
const ours = encodeMessage(message);

const packetMessage: dnsPacket.Packet = {
  type: "response",
  id: 0x1234,
  flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
  questions: [{ type: "A", name: "www.example.com" }],
  answers: [1, 2, 3, 4].map((i) => ({
    type: "A" as const,
    name: "www.example.com",
    ttl: 300,
    data: `192.0.2.${i}`,
  })),
};
const theirs = dnsPacket.encode(packetMessage);
// Both sides decode the same bytes (ours), so the comparison is about the code, not the input.
const wire = Buffer.from(ours);
if (dnsPacket.decode(wire).answers?.length !== 4)
  throw new Error("dns-packet cannot read our bytes");

let sink = 0;
const cases: Record<string, () => void> = {
  decode_per_s: () => {
    sink += decodeMessage(ours).answers.length;
  },
  encode_per_s: () => {
    sink += encodeMessage(message).length;
  },
  dns_packet_decode_per_s: () => {
    sink += dnsPacket.decode(wire).answers?.length ?? 0;
  },
  dns_packet_encode_per_s: () => {
    sink += dnsPacket.encode(packetMessage).length;
  },
};
// The machine is shared: interleave the four measurements over several rounds and keep each
// one's best round, so a burst of someone else's work does not decide a ratio.
const best: Record<string, number> = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, fn] of Object.entries(cases))
    best[name] = Math.max(best[name] ?? 0, measure(fn));
}
const results: Record<string, number | string> = {
  message_bytes: ours.length,
  dns_packet_message_bytes: theirs.length,
  ...best,
};
results.decode_ratio =
  Math.round(
    ((results.decode_per_s as number) / (results.dns_packet_decode_per_s as number)) * 100,
  ) / 100;
results.encode_ratio =
  Math.round(
    ((results.encode_per_s as number) / (results.dns_packet_encode_per_s as number)) * 100,
  ) / 100;
if (sink === 0) console.error("(sink)");

// server figures (issue 4) are merged here
Object.assign(results, await benchServer());

const rows = Object.entries(results).map(([k, v]) => [
  k,
  typeof v === "number" ? v.toLocaleString("en-US") : v,
]);
const width = Math.max(...rows.map(([k]) => (k as string).length));
console.log(
  `@netkit/dns codec bench (${new Date().toISOString()}, ${navigator.hardwareConcurrency} cores)`,
);
for (const [k, v] of rows)
  console.log(`  ${(k as string).padEnd(width)}  ${String(v).padStart(14)}`);
console.log(JSON.stringify(results));
