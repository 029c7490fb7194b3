// Domain names: wire form with compression (RFC 1035 §3.1, §4.1.4) and presentation form (§5.1).
//
// Names travel through the API as absolute presentation strings: "www.example.com." with the
// trailing dot, root ".", special bytes escaped as dig prints them (`\.`, `\@`, `\DDD`).
// Input without the trailing dot is accepted and taken as absolute.
import {
  MAX_COMPRESSION_POINTERS,
  MAX_LABEL_BYTES,
  MAX_NAME_BYTES,
  MAX_POINTER_OFFSET,
} from "../constants.ts";
import { DnsError } from "../errors.ts";
import { EXACT_NAMES, type Writer } from "./writer.ts";

/**
 * How each byte of a label prints. BIND's dns_name_totext escapes `"().;\@$` with a backslash and
 * every byte outside 0x21..0x7e as \DDD; we print exactly that so our output matches dig's.
 */
const LABEL_BYTE_TEXT: string[] = [];
for (let b = 0; b < 256; b++) {
  if (b <= 0x20 || b >= 0x7f) LABEL_BYTE_TEXT.push(`\\${String(b).padStart(3, "0")}`);
  else if ('"().;\\@$'.includes(String.fromCharCode(b)))
    LABEL_BYTE_TEXT.push(`\\${String.fromCharCode(b)}`);
  else LABEL_BYTE_TEXT.push(String.fromCharCode(b));
}

/** Escapes one label's bytes into presentation text. */
export function labelToText(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = "";
  for (let i = start; i < end; i++) s += LABEL_BYTE_TEXT[bytes[i] as number];
  return s;
}

/** Names that need no escape handling: printable ASCII without backslash. */
function isPlainName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x5c) return false;
  }
  return true;
}

const utf8 = new TextEncoder();

/**
 * Presentation name → label bytes (root → []). Handles `\X` and `\DDD`; other non-ASCII text is
 * taken as UTF-8. Throws LABEL_TOO_LONG, NAME_TOO_LONG or BAD_PRESENTATION (empty label, bad escape).
 */
export function nameToLabels(name: string): Uint8Array[] {
  if (name === "." || name === "") return [];
  const labels: Uint8Array[] = [];
  let current: number[] = [];
  let total = 1;
  const finish = () => {
    if (current.length === 0) throw new DnsError("BAD_PRESENTATION", `empty label in "${name}"`);
    if (current.length > MAX_LABEL_BYTES) {
      throw new DnsError("LABEL_TOO_LONG", `label of ${current.length} bytes in "${name}"`);
    }
    total += current.length + 1;
    labels.push(Uint8Array.from(current));
    current = [];
  };
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x2e) {
      finish();
    } else if (c === 0x5c) {
      const next = name.charCodeAt(i + 1);
      if (Number.isNaN(next)) throw new DnsError("BAD_PRESENTATION", `dangling \\ in "${name}"`);
      if (next >= 0x30 && next <= 0x39) {
        const digits = name.slice(i + 1, i + 4);
        if (!/^\d{3}$/.test(digits) || Number(digits) > 255) {
          throw new DnsError("BAD_PRESENTATION", `bad \\DDD escape in "${name}"`);
        }
        current.push(Number(digits));
        i += 3;
      } else {
        i++;
        if (next >= 0x80) {
          const cp = name.codePointAt(i) as number;
          current.push(...utf8.encode(String.fromCodePoint(cp)));
          if (cp > 0xffff) i++;
        } else current.push(next);
      }
    } else if (c >= 0x80) {
      const cp = name.codePointAt(i) as number;
      current.push(...utf8.encode(String.fromCodePoint(cp)));
      if (cp > 0xffff) i++;
    } else {
      current.push(c);
    }
  }
  if (current.length > 0) finish();
  if (total > MAX_NAME_BYTES) {
    throw new DnsError("NAME_TOO_LONG", `name of ${total} bytes (max ${MAX_NAME_BYTES})`);
  }
  return labels;
}

/** Label bytes → canonical presentation name with trailing dot. */
export function labelsToName(labels: readonly Uint8Array[]): string {
  if (labels.length === 0) return ".";
  let s = "";
  for (const l of labels) s += `${labelToText(l)}.`;
  return s;
}

function lowerLabel(l: Uint8Array): Uint8Array {
  const out = new Uint8Array(l.length);
  for (let i = 0; i < l.length; i++) {
    const b = l[i] as number;
    out[i] = b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
  }
  return out;
}

/**
 * The canonical key of a name: lower-cased (ASCII only, RFC 4343), escapes canonical, trailing dot.
 * Two names are the same DNS name exactly when their normalized forms are equal strings.
 */
export function normalizeName(name: string): string {
  if (isPlainName(name) && !/\.\.|^\.(?!$)/.test(name) && !/["();@$]/.test(name)) {
    const lower = name.toLowerCase();
    if (lower === "" || lower === ".") return ".";
    // Validate lengths the cheap way: each label ≤ 63, whole ≤ 255.
    const withDot = lower.endsWith(".") ? lower : `${lower}.`;
    if (withDot.length + 1 > MAX_NAME_BYTES) {
      throw new DnsError("NAME_TOO_LONG", `name of ${withDot.length + 1} bytes`);
    }
    let start = 0;
    for (let i = 0; i < withDot.length; i++) {
      if (withDot.charCodeAt(i) === 0x2e) {
        if (i - start > MAX_LABEL_BYTES) throw new DnsError("LABEL_TOO_LONG", `label in "${name}"`);
        start = i + 1;
      }
    }
    return withDot;
  }
  return labelsToName(nameToLabels(name).map(lowerLabel));
}

/** True when both are the same DNS name (case-insensitive, escapes and trailing dot ignored). */
export function namesEqual(a: string, b: string): boolean {
  return a === b || normalizeName(a) === normalizeName(b);
}

/** True when `name` is `zone` or lies below it ("www.example.com." is under "example.com."). */
export function isSubdomain(name: string, zone: string): boolean {
  const n = nameToLabels(name).map(lowerLabel);
  const z = nameToLabels(zone).map(lowerLabel);
  if (z.length > n.length) return false;
  for (let i = 1; i <= z.length; i++) {
    if (!bytesEqual(n[n.length - i] as Uint8Array, z[z.length - i] as Uint8Array)) return false;
  }
  return true;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Canonical DNS order (RFC 4034 §6.1): compare labels right to left, bytes lower-cased. → -1/0/1 */
export function compareNames(a: string, b: string): number {
  const x = nameToLabels(a).map(lowerLabel);
  const y = nameToLabels(b).map(lowerLabel);
  for (let i = 1; i <= Math.min(x.length, y.length); i++) {
    const l = x[x.length - i] as Uint8Array;
    const r = y[y.length - i] as Uint8Array;
    const n = Math.min(l.length, r.length);
    for (let j = 0; j < n; j++) {
      if (l[j] !== r[j]) return (l[j] as number) < (r[j] as number) ? -1 : 1;
    }
    if (l.length !== r.length) return l.length < r.length ? -1 : 1;
  }
  return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
}

/**
 * Makes a zone-file name absolute: "@" → origin, "www" → "www.<origin>", "a.b." stays.
 * `origin` must itself be absolute.
 */
export function absoluteName(name: string, origin: string): string {
  if (name === "@") return origin;
  if (isAbsolute(name)) return name;
  return origin === "." ? `${name}.` : `${name}.${origin}`;
}

/** True when the presentation name ends in an unescaped dot. */
export function isAbsolute(name: string): boolean {
  if (!name.endsWith(".")) return false;
  let slashes = 0;
  for (let i = name.length - 2; i >= 0 && name.charCodeAt(i) === 0x5c; i--) slashes++;
  return slashes % 2 === 0;
}

/** Number of labels (root = 0). */
export function labelCount(name: string): number {
  return nameToLabels(name).length;
}

// ---- wire form -------------------------------------------------------------------------------

/** Per-message decode state: the bytes and a cache of names already read, by offset. */
export interface NameCache {
  names: Map<number, { text: string; wireBytes: number }>;
}

/**
 * Reads a possibly compressed name at `offset`. Labels at `offset` must end before `limit`;
 * pointers must point strictly backwards (before the label that holds them) and at most
 * MAX_COMPRESSION_POINTERS are followed. Returns the name and the offset after it.
 */
export function readName(
  bytes: Uint8Array,
  offset: number,
  limit: number = bytes.length,
  cache?: NameCache,
): { value: string; offset: number } {
  let pos = offset;
  let end = -1; // offset after the name in the original position (set at the first pointer)
  let text = "";
  let wireBytes = 1; // the root byte
  let pointers = 0;
  let bound = limit;
  let segmentStart = offset;
  for (;;) {
    if (pos >= bound)
      throw new DnsError("TRUNCATED_MESSAGE", `name at ${offset} runs past the data`);
    const len = bytes[pos] as number;
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= bound) throw new DnsError("TRUNCATED_MESSAGE", `pointer at ${pos} cut short`);
      const target = ((len & 0x3f) << 8) | (bytes[pos + 1] as number);
      // Strictly before the start of the labels just read: every jump goes further back, so no
      // sequence of pointers can ever revisit a byte (a loop is impossible, not just capped).
      if (target >= segmentStart) {
        throw new DnsError(
          "BAD_POINTER",
          `pointer at ${pos} to ${target} does not point backwards`,
        );
      }
      if (++pointers > MAX_COMPRESSION_POINTERS) {
        throw new DnsError("POINTER_LOOP", `more than ${MAX_COMPRESSION_POINTERS} pointers`);
      }
      if (end < 0) end = pos + 2;
      const cached = cache?.names.get(target);
      if (cached) {
        wireBytes += cached.wireBytes - 1;
        if (wireBytes > MAX_NAME_BYTES) {
          throw new DnsError("NAME_TOO_LONG", `name at ${offset} longer than ${MAX_NAME_BYTES}`);
        }
        text = text === "" ? cached.text : cached.text === "." ? text : text + cached.text;
        return { value: text, offset: end };
      }
      pos = target;
      segmentStart = target;
      // Labels reached through a pointer belong to earlier data: only the message end bounds them.
      bound = bytes.length;
      continue;
    }
    // 0x40..0x7f reads as a label of 64..127 bytes (or RFC 2673's retired extended labels).
    if (kind === 0x40) throw new DnsError("LABEL_TOO_LONG", `label of ${len} bytes at ${pos}`);
    if (kind !== 0) {
      throw new DnsError("BAD_LABEL_TYPE", `label type 0x${kind.toString(16)} at ${pos}`);
    }
    wireBytes += len + 1;
    if (wireBytes > MAX_NAME_BYTES) {
      throw new DnsError("NAME_TOO_LONG", `name at ${offset} longer than ${MAX_NAME_BYTES}`);
    }
    if (pos + 1 + len > bound) {
      throw new DnsError("TRUNCATED_MESSAGE", `label at ${pos} runs past the data`);
    }
    for (let i = pos + 1; i <= pos + len; i++) text += LABEL_BYTE_TEXT[bytes[i] as number];
    text += ".";
    pos += len + 1;
  }
  if (text === "") text = ".";
  if (cache && !cache.names.has(offset)) cache.names.set(offset, { text, wireBytes });
  return { value: text, offset: end };
}

/**
 * Writes `name` at the writer's position. With `compress`, a suffix already written is replaced by
 * a pointer; every suffix written at an offset a pointer can reach is remembered, keyed by its
 * lower-cased text (names compare case-insensitively, RFC 1035 §2.3.3).
 */
export function writeName(w: Writer, name: string, compress: boolean): void {
  if (!compress) {
    writeLabels(w, name, false);
    return;
  }
  const names = w.exactNames;
  for (let i = 0; i < names.length; i++) {
    if (names[i] === name) {
      const at = w.exactOffsets[i] as number;
      w.ensure(2);
      w.buf[w.pos++] = 0xc0 | (at >> 8);
      w.buf[w.pos++] = at & 0xff;
      return;
    }
  }
  const start = w.pos;
  writeLabels(w, name, true);
  // Remember where the labels start, unless the whole name became a pointer (or is the root).
  const first = w.buf[start] as number;
  if (
    start <= MAX_POINTER_OFFSET &&
    first !== 0 &&
    (first & 0xc0) !== 0xc0 &&
    names.length < EXACT_NAMES
  ) {
    names.push(name);
    w.exactOffsets.push(start);
  }
}

/** Registers the suffixes of names written before any compression target existed. */
function registerDeferred(w: Writer): void {
  for (const d of w.deferred) {
    const lower = d.name.toLowerCase();
    for (let k = 0; k < d.stop; ) {
      const offset = d.start + k;
      const key = lower.substring(k, d.stop);
      if (offset <= MAX_POINTER_OFFSET && !w.names.has(key)) w.names.set(key, offset);
      const dot = d.name.indexOf(".", k);
      k = dot < 0 ? d.stop : dot + 1;
    }
  }
  w.deferred.length = 0;
}

function writeLabels(w: Writer, name: string, compress: boolean): void {
  if (name === "." || name === "") {
    w.u8(0);
    return;
  }
  if (isPlainName(name)) {
    const len = name.length;
    const hasDot = name.charCodeAt(len - 1) === 0x2e;
    const wire = hasDot ? len + 1 : len + 2;
    if (wire > MAX_NAME_BYTES) throw new DnsError("NAME_TOO_LONG", `name of ${wire} bytes`);
    const stop = hasDot ? len - 1 : len;
    // Nothing written yet can be pointed to: write the labels now and register the suffixes only
    // if a later name needs them (most answers repeat the question name: the exact map serves).
    const deferRegistration = compress && w.names.size === 0 && w.deferred.length === 0;
    if (compress && !deferRegistration) registerDeferred(w);
    const lower = compress && !deferRegistration ? name.toLowerCase() : name;
    w.ensure(wire);
    const buf = w.buf;
    if (deferRegistration) w.deferred.push({ name, start: w.pos, stop });
    let start = 0;
    while (start < stop) {
      if (compress && !deferRegistration) {
        const key = lower.substring(start, stop);
        const at = w.names.get(key);
        if (at !== undefined) {
          buf[w.pos++] = 0xc0 | (at >> 8);
          buf[w.pos++] = at & 0xff;
          return;
        }
        if (w.pos <= MAX_POINTER_OFFSET) w.names.set(key, w.pos);
      }
      let dot = name.indexOf(".", start);
      if (dot < 0 || dot > stop) dot = stop;
      const labelLen = dot - start;
      if (labelLen === 0) throw new DnsError("BAD_VALUE", `empty label in "${name}"`);
      if (labelLen > MAX_LABEL_BYTES) {
        throw new DnsError("LABEL_TOO_LONG", `label of ${labelLen} bytes in "${name}"`);
      }
      buf[w.pos++] = labelLen;
      for (let i = start; i < dot; i++) buf[w.pos++] = name.charCodeAt(i);
      start = dot + 1;
    }
    buf[w.pos++] = 0;
    return;
  }
  const labels = nameToLabels(name);
  let keys: string[] | undefined;
  if (compress) {
    registerDeferred(w);
    keys = [];
    let suffix = "";
    for (let i = labels.length - 1; i >= 0; i--) {
      suffix = `${labelToText(lowerLabel(labels[i] as Uint8Array))}.${suffix}`;
      keys[i] = suffix;
    }
  }
  for (let i = 0; i < labels.length; i++) {
    if (keys) {
      // Plain-name keys have no trailing dot; strip ours so both paths share the same key space.
      const key = (keys[i] as string).slice(0, -1);
      const at = w.names.get(key);
      if (at !== undefined) {
        w.u16(0xc000 | at);
        return;
      }
      if (w.pos <= MAX_POINTER_OFFSET) w.names.set(key, w.pos);
    }
    const l = labels[i] as Uint8Array;
    w.u8(l.length);
    w.bytes(l);
  }
  w.u8(0);
}
