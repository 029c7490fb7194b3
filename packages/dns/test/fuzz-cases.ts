// Fuzz case generator shared by test/fuzz.test.ts (≥100k cases) and scripts/fuzz.ts (millions).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createResponse } from "../src/codec/message.ts";
import { createQuery, DnsError, decodeMessage, encodeMessage, type Message } from "../src/index.ts";
import { hex, prng, sampleRecords } from "./helpers.ts";

/** Valid messages to mutate: the dig/NSD captures plus one message holding every sample record. */
export function seedCorpus(): Uint8Array[] {
  const dir = join(import.meta.dir, "fixtures");
  const out = readdirSync(dir)
    .filter((f) => f.endsWith(".hex"))
    .map((f) => hex(readFileSync(join(dir, f), "utf8")));
  const m = createResponse(createQuery("example.com.", 255, { id: 7 }));
  m.answers.push(...sampleRecords());
  out.push(encodeMessage(m));
  return out;
}

const INTERESTING = [0x00, 0x01, 0x3f, 0x40, 0x7f, 0x80, 0xbf, 0xc0, 0xc0, 0xff];

/** Makes case number `i` of a run seeded with `seed`: random bytes or a mutated seed message. */
export function makeCase(rand: () => number, corpus: Uint8Array[]): Uint8Array {
  const int = (n: number) => Math.floor(rand() * n);
  if (rand() < 0.2) {
    const b = new Uint8Array(int(600));
    for (let i = 0; i < b.length; i++) b[i] = int(256);
    // Small plausible counts make random bodies reach the section parsers more often.
    if (b.length >= 12 && rand() < 0.7) {
      for (let i = 4; i < 12; i += 2) {
        b[i] = 0;
        b[i + 1] = int(4);
      }
    }
    return b;
  }
  let b: Uint8Array = (corpus[int(corpus.length)] as Uint8Array).slice();
  const mutations = rand() < 0.5 ? 1 : 1 + int(5);
  for (let k = 0; k < mutations; k++) {
    const at = b.length === 0 ? 0 : int(b.length);
    switch (int(8)) {
      case 0:
        if (b.length) b[at] = (b[at] as number) ^ (1 << int(8));
        break;
      case 1:
        if (b.length) b[at] = INTERESTING[int(INTERESTING.length)] as number;
        break;
      case 2: // a compression pointer somewhere, anywhere it points
        if (b.length > 1) {
          b[at] = 0xc0 | int(0x40);
          if (at + 1 < b.length) b[at + 1] = int(256);
        }
        break;
      case 3:
        b = b.slice(0, at);
        break;
      case 4: {
        const extra = new Uint8Array(1 + int(16)).map(() => int(256));
        const next = new Uint8Array(b.length + extra.length);
        next.set(b.subarray(0, at));
        next.set(extra, at);
        next.set(b.subarray(at), at + extra.length);
        b = next;
        break;
      }
      case 5: {
        const n = Math.min(1 + int(16), b.length - at);
        const next = new Uint8Array(b.length - n);
        next.set(b.subarray(0, at));
        next.set(b.subarray(at + n), at);
        b = next;
        break;
      }
      case 6: // lie in a section count
        if (b.length >= 12) {
          const field = 4 + 2 * int(4);
          b[field] = rand() < 0.5 ? 0xff : 0;
          b[field + 1] = int(256);
        }
        break;
      default: // lie in an rdlength-like position: two bytes of big number
        if (at + 1 < b.length) {
          b[at] = 0xff;
          b[at + 1] = int(256);
        }
    }
  }
  return b;
}

export interface FuzzStats {
  cases: number;
  decoded: number;
  rejected: Record<string, number>;
  maxMs: number;
}

/**
 * Runs `count` cases. Every packet must either decode (and then re-encode to bytes that decode to
 * the same message) or throw a DnsError; anything else throws with the seed and the packet.
 */
export function fuzz(seed: number, count: number, corpus = seedCorpus()): FuzzStats {
  const rand = prng(seed);
  const stats: FuzzStats = { cases: 0, decoded: 0, rejected: {}, maxMs: 0 };
  for (let i = 0; i < count; i++) {
    const packet = makeCase(rand, corpus);
    const started = performance.now();
    let message: Message | undefined;
    try {
      message = decodeMessage(packet);
    } catch (e) {
      if (!(e instanceof DnsError)) fail(seed, i, packet, e);
      const code = (e as DnsError).code;
      stats.rejected[code] = (stats.rejected[code] ?? 0) + 1;
    }
    if (message) {
      stats.decoded++;
      try {
        const again = decodeMessage(encodeMessage(message));
        if (!Bun.deepEquals(again, message))
          throw new Error("re-encoded message decodes differently");
      } catch (e) {
        fail(seed, i, packet, e);
      }
    }
    const ms = performance.now() - started;
    if (ms > stats.maxMs) stats.maxMs = ms;
    stats.cases++;
  }
  return stats;
}

function fail(seed: number, index: number, packet: Uint8Array, e: unknown): never {
  throw new Error(
    `fuzz failure (seed ${seed}, case ${index}): ${(e as Error)?.stack ?? e}\npacket: ${Buffer.from(packet).toString("hex")}`,
  );
}
