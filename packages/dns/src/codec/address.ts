// IPv4/IPv6 text <-> bytes for A/AAAA rdata and reverse names (RFC 1035 §3.4.1, RFC 3596, RFC 5952).
import { DnsError } from "../errors.ts";

/** "192.0.2.1" → 4 bytes; throws BAD_VALUE on anything else (no octal, no short forms). */
export function parseIPv4(text: string): Uint8Array {
  const out = new Uint8Array(4);
  if (writeIPv4(text, out, 0)) return out;
  throw new DnsError("BAD_VALUE", `not an IPv4 address: ${text}`);
}

/**
 * Writes dotted-quad `text` into `buf` at `offset` without allocating; false when it is not a
 * canonical IPv4 address (four decimal parts 0..255, no leading zeros).
 */
export function writeIPv4(text: string, buf: Uint8Array, offset: number): boolean {
  const len = text.length;
  if (len < 7 || len > 15) return false;
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= len; i++) {
    const c = i < len ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || part > 3) return false;
      buf[offset + part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && value === 0) return false; // leading zero
      value = value * 10 + (c - 0x30);
      if (value > 255) return false;
      digits++;
    } else return false;
  }
  return part === 4;
}

/** Whether `text` is a dotted-quad IPv4 address. */
export function isIPv4(text: string): boolean {
  try {
    parseIPv4(text);
    return true;
  } catch {
    return false;
  }
}

/** "2001:db8::1" (also "::ffff:192.0.2.1") → 16 bytes; throws BAD_VALUE otherwise. */
export function parseIPv6(text: string): Uint8Array {
  const bad = () => new DnsError("BAD_VALUE", `not an IPv6 address: ${text}`);
  let head = text;
  let tailV4: Uint8Array | undefined;
  const lastColon = text.lastIndexOf(":");
  if (lastColon >= 0 && text.indexOf(".", lastColon) > 0) {
    tailV4 = parseIPv4(text.slice(lastColon + 1));
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split("::");
  if (halves.length > 2) throw bad();
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const left = groups(halves[0] as string);
  const right = halves.length === 2 ? groups(halves[1] as string) : [];
  const total = left.length + right.length;
  if (halves.length === 1 ? total !== 8 : total > 7) throw bad();
  const words = [...left, ...new Array<string>(8 - total).fill("0"), ...right];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const w = words[i] as string;
    if (!/^[0-9a-fA-F]{1,4}$/.test(w)) throw bad();
    const n = Number.parseInt(w, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  }
  if (tailV4) out.set(tailV4, 12);
  return out;
}

/** Whether `text` is an IPv6 address in any RFC 4291 text form. */
export function isIPv6(text: string): boolean {
  try {
    parseIPv6(text);
    return true;
  } catch {
    return false;
  }
}

const DECIMAL = Array.from({ length: 256 }, (_, i) => String(i));

/** Four bytes at `offset` as dotted-quad text. */
export function formatIPv4(b: Uint8Array, offset = 0): string {
  return `${DECIMAL[b[offset] as number]}.${DECIMAL[b[offset + 1] as number]}.${DECIMAL[b[offset + 2] as number]}.${DECIMAL[b[offset + 3] as number]}`;
}

/** RFC 5952 text, the way BIND's inet_ntop prints it (so it matches dig, embedded IPv4 included). */
export function formatIPv6(b: Uint8Array, offset = 0): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++)
    words.push(((b[offset + i * 2] as number) << 8) | (b[offset + i * 2 + 1] as number));
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (curBase < 0) {
        curBase = i;
        curLen = 1;
      } else curLen++;
      if (curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
    } else curBase = -1;
  }
  if (bestLen < 2) bestBase = -1;
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ":";
      continue;
    }
    if (i !== 0) out += ":";
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      out += formatIPv4(b, offset + 12);
      break;
    }
    out += (words[i] as number).toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ":";
  return out;
}

/** "192.0.2.1" → "1.2.0.192.in-addr.arpa."; "2001:db8::1" → nibbles under "ip6.arpa." (RFC 3596 §2.5). */
export function reverseName(address: string): string {
  if (isIPv4(address)) {
    const b = parseIPv4(address);
    return `${b[3]}.${b[2]}.${b[1]}.${b[0]}.in-addr.arpa.`;
  }
  const b = parseIPv6(address);
  let out = "";
  for (let i = 15; i >= 0; i--) {
    const v = b[i] as number;
    out += `${(v & 0xf).toString(16)}.${(v >> 4).toString(16)}.`;
  }
  return `${out}ip6.arpa.`;
}
