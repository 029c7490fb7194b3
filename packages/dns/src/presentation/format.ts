// Presentation (zone-file / dig) text for records (RFC 1035 §5.1, RFC 3597 §5), printed as dig prints it.

import type {
  CaaData,
  MxData,
  Question,
  ResourceRecord,
  SoaData,
  SrvData,
  TargetData,
  TxtData,
} from "../codec/types.ts";
import { className, RecordType, typeName } from "../constants.ts";

/**
 * How each byte prints inside a quoted <character-string>: BIND escapes `"` and `\` with a
 * backslash and bytes outside 0x20..0x7e as \DDD (so the space stays a space).
 */
const STRING_BYTE_TEXT: string[] = [];
for (let b = 0; b < 256; b++) {
  if (b < 0x20 || b >= 0x7f) STRING_BYTE_TEXT.push(`\\${String(b).padStart(3, "0")}`);
  else if (b === 0x22 || b === 0x5c) STRING_BYTE_TEXT.push(`\\${String.fromCharCode(b)}`);
  else STRING_BYTE_TEXT.push(String.fromCharCode(b));
}

/** A <character-string> in quotes, escaped as dig prints it: `"say \"hi\"\010"`. */
export function formatCharacterString(bytes: Uint8Array): string {
  let s = '"';
  for (const b of bytes) s += STRING_BYTE_TEXT[b];
  return `${s}"`;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, "0"));

/** Upper-case hex of the bytes. */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += HEX[b];
  return s;
}

/** RFC 3597 §5 generic rdata: `\# 4 0A000001` (`\# 0` when empty); hex in one word, as dig +short. */
export function formatGenericRdata(bytes: Uint8Array): string {
  return bytes.length === 0 ? "\\# 0" : `\\# ${bytes.length} ${toHex(bytes)}`;
}

/** The rdata of `rr` in presentation form, as `dig +short` prints it. */
export function formatRdata(rr: ResourceRecord): string {
  const d = rr.data as unknown;
  if (d instanceof Uint8Array) return formatGenericRdata(d);
  switch (rr.type) {
    case RecordType.A:
    case RecordType.AAAA:
      return (d as { address: string }).address;
    case RecordType.NS:
    case RecordType.CNAME:
    case RecordType.PTR:
      return (d as TargetData).target;
    case RecordType.MX: {
      const mx = d as MxData;
      return `${mx.preference} ${mx.exchange}`;
    }
    case RecordType.SOA: {
      const s = d as SoaData;
      return `${s.mname} ${s.rname} ${s.serial} ${s.refresh} ${s.retry} ${s.expire} ${s.minimum}`;
    }
    case RecordType.TXT:
      return (d as TxtData).strings.map(formatCharacterString).join(" ");
    case RecordType.SRV: {
      const s = d as SrvData;
      return `${s.priority} ${s.weight} ${s.port} ${s.target}`;
    }
    case RecordType.CAA: {
      const c = d as CaaData;
      return `${c.flags} ${c.tag} ${formatCharacterString(c.value)}`;
    }
    case RecordType.OPT: {
      const opt = d as { options: { code: number; data: Uint8Array }[] };
      const bytes: number[] = [];
      for (const o of opt.options) {
        bytes.push(o.code >> 8, o.code & 0xff, o.data.length >> 8, o.data.length & 0xff, ...o.data);
      }
      return formatGenericRdata(Uint8Array.from(bytes));
    }
    default:
      return formatGenericRdata(new Uint8Array(0));
  }
}

/**
 * A line built in columns exactly as BIND's masterdump `indent()` does it: the target column is
 * at least one past the current one; tabs (8 wide) reach it when they can, then spaces.
 */
class Columns {
  text = "";
  #col = 0;
  add(s: string): this {
    this.text += s;
    this.#col += s.length;
    return this;
  }
  /** Text that does not count toward the column (dig's ";" before a question). */
  raw(s: string): this {
    this.text += s;
    return this;
  }
  indent(column: number): this {
    const from = this.#col;
    const to = Math.max(column, from + 1);
    const tabs = Math.max(0, Math.floor(to / 8) - Math.floor(from / 8));
    const spaces = tabs > 0 ? to % 8 : to - from;
    this.text += "\t".repeat(tabs) + " ".repeat(spaces);
    this.#col = to;
    return this;
  }
}

/** One record as a dig answer line: owner, TTL at column 24, class 32, type 40, rdata 48. */
export function formatRecord(rr: ResourceRecord): string {
  return new Columns()
    .add(rr.name)
    .indent(24)
    .add(String(rr.ttl))
    .indent(32)
    .add(className(rr.class))
    .indent(40)
    .add(typeName(rr.type))
    .indent(48)
    .add(formatRdata(rr)).text;
}

/** A question as dig prints it: `;example.com.\t\t\tIN\tA`. */
export function formatQuestion(q: Question): string {
  return new Columns()
    .raw(";")
    .add(q.name)
    .indent(32)
    .add(className(q.class))
    .indent(40)
    .add(typeName(q.type)).text;
}
