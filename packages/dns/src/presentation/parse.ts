// Parsing presentation (zone-file / dig) text into record data (RFC 1035 §5.1, RFC 3597 §5).

import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "../codec/address.ts";
import { absoluteName, labelsToName, nameToLabels } from "../codec/name.ts";
import { decodeRdata } from "../codec/rdata.ts";
import type { ResourceRecord } from "../codec/types.ts";
import { classFromName, RecordClass, RecordType, typeFromName } from "../constants.ts";
import { DnsError } from "../errors.ts";

/**
 * One rdata field as the zone lexer hands it over. `quoted` says it was a "quoted string" and
 * `text` is what stood between the quotes; in both cases backslash escapes (`\"`, `\DDD`, `\.`)
 * are still in `text`, as written: parseRdata decodes them. A plain string counts as unquoted.
 */
export interface RdataToken {
  text: string;
  quoted: boolean;
}
/** One field of record data in presentation form: a token, or plain text. */
export type RdataField = RdataToken | string;

function tok(f: RdataField): RdataToken {
  return typeof f === "string" ? { text: f, quoted: false } : f;
}

const utf8 = new TextEncoder();

/** Decodes `\X` and `\DDD` escapes of a <character-string>; other non-ASCII text becomes UTF-8. */
export function unescapeString(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) {
      if (i + 1 >= text.length) throw new DnsError("BAD_PRESENTATION", `dangling \\ in "${text}"`);
      const digits = text.slice(i + 1, i + 4);
      if (/^\d/.test(digits)) {
        if (!/^\d{3}$/.test(digits) || Number(digits) > 255) {
          throw new DnsError("BAD_PRESENTATION", `bad \\DDD escape in "${text}"`);
        }
        out.push(Number(digits));
        i += 3;
        continue;
      }
      i++;
    }
    const cp = text.codePointAt(i) as number;
    if (cp < 0x80) out.push(cp);
    else {
      out.push(...utf8.encode(String.fromCodePoint(cp)));
      if (cp > 0xffff) i++;
    }
  }
  return Uint8Array.from(out);
}

/** A TTL or SOA timer: "3600", or BIND units "1h30m", "2d", "1w" (case-insensitive). */
export function parseTtl(text: string): number {
  let total = 0;
  if (/^\d+$/.test(text)) total = Number(text);
  else {
    const re = /(\d+)([wdhms])/giy;
    let consumed = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const mult = { w: 604800, d: 86400, h: 3600, m: 60, s: 1 }[
        (m[2] as string).toLowerCase() as "w" | "d" | "h" | "m" | "s"
      ];
      total += Number(m[1]) * mult;
      consumed = re.lastIndex;
    }
    if (consumed === 0 || consumed !== text.length) {
      throw new DnsError("BAD_PRESENTATION", `not a TTL: "${text}"`);
    }
  }
  if (total > 0xffffffff) throw new DnsError("BAD_PRESENTATION", `TTL out of range: "${text}"`);
  return total;
}

function int(t: RdataToken | undefined, max: number, what: string): number {
  if (!t || t.quoted || !/^\d+$/.test(t.text) || Number(t.text) > max) {
    throw new DnsError("BAD_PRESENTATION", `${what}: expected 0..${max}, got "${t?.text ?? ""}"`);
  }
  return Number(t.text);
}

function name(t: RdataToken | undefined, origin: string, what: string): string {
  if (!t || t.quoted || t.text === "") {
    throw new DnsError("BAD_PRESENTATION", `${what}: expected a name`);
  }
  return labelsToName(nameToLabels(absoluteName(t.text, origin)));
}

/**
 * Parses the rdata fields of one record of `type` (already split into tokens by a zone lexer or
 * `tokenizePresentation`). Relative names are completed with `origin` (absolute, e.g.
 * "example.com."); "@" is the origin. Accepts the RFC 3597 generic form `\# <len> <hex…>` for
 * every type. Throws DnsError BAD_PRESENTATION (or LABEL_TOO_LONG / NAME_TOO_LONG).
 */
export function parseRdata(
  type: number,
  fields: readonly RdataField[],
  origin = ".",
): ResourceRecord["data"] {
  const f = fields.map(tok);
  const first = f[0];
  if (first && !first.quoted && first.text === "\\#") return parseGeneric(type, f);
  const count = (n: number) => {
    if (f.length !== n) {
      throw new DnsError("BAD_PRESENTATION", `type ${type}: expected ${n} fields, got ${f.length}`);
    }
  };
  const text = (t: RdataToken | undefined) => {
    if (!t) throw new DnsError("BAD_PRESENTATION", "missing field");
    return t.text;
  };
  try {
    switch (type) {
      case RecordType.A:
        count(1);
        return { address: formatIPv4(parseIPv4(text(first))) };
      case RecordType.AAAA:
        count(1);
        return { address: formatIPv6(parseIPv6(text(first))) };
      case RecordType.NS:
      case RecordType.CNAME:
      case RecordType.PTR:
        count(1);
        return { target: name(first, origin, "target") };
      case RecordType.MX:
        count(2);
        return {
          preference: int(first, 0xffff, "MX preference"),
          exchange: name(f[1], origin, "MX exchange"),
        };
      case RecordType.SOA: {
        count(7);
        const timer = (i: number) => {
          const t = f[i] as RdataToken;
          if (t.quoted) throw new DnsError("BAD_PRESENTATION", "SOA timer is quoted");
          return parseTtl(t.text);
        };
        return {
          mname: name(first, origin, "SOA mname"),
          rname: name(f[1], origin, "SOA rname"),
          serial: int(f[2], 0xffffffff, "SOA serial"),
          refresh: timer(3),
          retry: timer(4),
          expire: timer(5),
          minimum: timer(6),
        };
      }
      case RecordType.TXT: {
        if (f.length === 0) throw new DnsError("BAD_PRESENTATION", "TXT needs at least one string");
        const strings = f.map((t) => {
          const b = unescapeString(t.text);
          if (b.length > 255) {
            throw new DnsError("BAD_PRESENTATION", `TXT string of ${b.length} bytes (max 255)`);
          }
          return b;
        });
        return { strings };
      }
      case RecordType.SRV:
        count(4);
        return {
          priority: int(first, 0xffff, "SRV priority"),
          weight: int(f[1], 0xffff, "SRV weight"),
          port: int(f[2], 0xffff, "SRV port"),
          target: name(f[3], origin, "SRV target"),
        };
      case RecordType.CAA: {
        count(3);
        const tag = text(f[1]);
        if (!/^[A-Za-z0-9]{1,15}$/.test(tag))
          throw new DnsError("BAD_PRESENTATION", `CAA tag "${tag}"`);
        return { flags: int(first, 255, "CAA flags"), tag, value: unescapeString(text(f[2])) };
      }
      default:
        throw new DnsError(
          "BAD_PRESENTATION",
          `type ${type} has no text form here: use the RFC 3597 form \\# <length> <hex>`,
        );
    }
  } catch (e) {
    if (e instanceof DnsError && e.code === "BAD_VALUE")
      throw new DnsError("BAD_PRESENTATION", e.message);
    throw e;
  }
}

function parseGeneric(type: number, f: RdataToken[]): ResourceRecord["data"] {
  const length = int(f[1], 0xffff, "\\# length");
  const hex = f
    .slice(2)
    .map((t) => t.text)
    .join("");
  if (!/^([0-9a-fA-F]{2})*$/.test(hex) || hex.length / 2 !== length) {
    throw new DnsError("BAD_PRESENTATION", `\\# ${length}: hex does not hold ${length} bytes`);
  }
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  try {
    // Known types given in generic form become typed data; names inside are uncompressed.
    return decodeRdata(bytes, new DataView(bytes.buffer), type, 0, bytes.length);
  } catch (e) {
    if (e instanceof DnsError) throw new DnsError("BAD_PRESENTATION", `\\# rdata: ${e.message}`);
    throw e;
  }
}

/**
 * Splits one line of presentation text into tokens: blanks separate, "quoted strings" keep blanks,
 * backslash escapes stay in the text, `;` starts a comment, parentheses are ignored (one line).
 */
export function tokenizePresentation(line: string): RdataToken[] {
  const out: RdataToken[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i] as string;
    if (c === " " || c === "\t" || c === "\r" || c === "\n" || c === "(" || c === ")") {
      i++;
      continue;
    }
    if (c === ";") break;
    let j = i;
    let text = "";
    const quoted = c === '"';
    if (quoted) j++;
    for (; j < line.length; j++) {
      const d = line[j] as string;
      if (d === "\\") {
        text += d + (line[j + 1] ?? "");
        j++;
        continue;
      }
      if (quoted ? d === '"' : ' \t\r\n();"'.includes(d)) break;
      text += d;
    }
    if (quoted) {
      if (line[j] !== '"') throw new DnsError("BAD_PRESENTATION", "unterminated quoted string");
      j++;
    }
    out.push({ text, quoted });
    i = j;
  }
  return out;
}

/**
 * Parses one record line: `owner [ttl] [class] type rdata…` (ttl and class in either order, as
 * RFC 1035 §5.1 allows). Defaults: ttl 0, class IN; relative names complete with `origin`.
 */
export function parseRecord(line: string, origin = "."): ResourceRecord {
  const t = tokenizePresentation(line);
  const owner = t[0];
  if (!owner || owner.quoted) throw new DnsError("BAD_PRESENTATION", `no owner in "${line}"`);
  let i = 1;
  let ttl: number | undefined;
  let cls: number | undefined;
  for (; i < t.length && i < 3; i++) {
    const x = (t[i] as RdataToken).text;
    if (ttl === undefined && /^\d/.test(x)) ttl = parseTtl(x);
    else if (cls === undefined && classFromName(x) !== undefined && typeFromName(x) === undefined) {
      cls = classFromName(x);
    } else break;
  }
  const typeToken = t[i];
  const type = typeToken ? typeFromName(typeToken.text) : undefined;
  if (type === undefined) throw new DnsError("BAD_PRESENTATION", `no type in "${line}"`);
  return {
    name: labelsToName(nameToLabels(absoluteName(owner.text, origin))),
    type,
    class: cls ?? RecordClass.IN,
    ttl: ttl ?? 0,
    data: parseRdata(type, t.slice(i + 1), origin),
  } as ResourceRecord;
}
