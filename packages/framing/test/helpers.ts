// Small helpers shared by the framing tests.

export { hex, prng } from "@netkit/testkit";

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

export function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Cuts `bytes` into random pieces (some empty) using `random`. */
export function randomSplit(bytes: Uint8Array, random: () => number, maxPiece = 64): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const n = Math.floor(random() * (maxPiece + 1));
    pieces.push(bytes.subarray(at, at + n));
    at += n;
  }
  return pieces;
}
