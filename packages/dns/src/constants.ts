// Wire numbers and limits of DNS (RFC 1035 §3.2, §4.1; RFC 6891; IANA registries), with reverse lookups.

/** Resource record TYPEs (RFC 1035 §3.2.2, RFC 3596, RFC 2782, RFC 6891, RFC 8659). */
export const RecordType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  NAPTR: 35,
  DS: 43,
  OPT: 41,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  HTTPS: 65,
  SVCB: 64,
  CAA: 257,
  /** QTYPE only (RFC 1035 §3.2.3). */
  AXFR: 252,
  IXFR: 251,
  /** QTYPE only: "*". */
  ANY: 255,
} as const;
/** The mnemonic of a known record type (`"A"`, `"MX"`, …). */
export type RecordTypeName = keyof typeof RecordType;
/** The number of a known record type (a value of `RecordType`). */
export type KnownRecordType = (typeof RecordType)[RecordTypeName];

/** CLASS values (RFC 1035 §3.2.4, §3.2.5). */
export const RecordClass = { IN: 1, CS: 2, CH: 3, HS: 4, NONE: 254, ANY: 255 } as const;
/** The mnemonic of a known class. */
export type RecordClassName = keyof typeof RecordClass;

/** RCODE values, including the EDNS extended ones (RFC 1035 §4.1.1, RFC 6891 §9, RFC 2136). */
export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
  BADVERS: 16,
  BADCOOKIE: 23,
} as const;
/** The mnemonic of a known response code. */
export type RcodeName = keyof typeof Rcode;

/** OPCODE values (RFC 1035 §4.1.1, RFC 1996, RFC 2136). */
export const Opcode = { QUERY: 0, IQUERY: 1, STATUS: 2, NOTIFY: 4, UPDATE: 5 } as const;
/** The mnemonic of a known opcode. */
export type OpcodeName = keyof typeof Opcode;

function reverse<T extends Record<string, number>>(table: T): Map<number, string> {
  return new Map(Object.entries(table).map(([name, value]) => [value, name]));
}
const TYPE_NAMES = reverse(RecordType);
const CLASS_NAMES = reverse(RecordClass);
const RCODE_NAMES = reverse(Rcode);
const OPCODE_NAMES = reverse(Opcode);

/** `1` → `"A"`; unknown numbers print the RFC 3597 way: `65280` → `"TYPE65280"`. */
export function typeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE${type}`;
}
/** `"mx"` / `"MX"` / `"TYPE15"` → 15; undefined when unknown. */
export function typeFromName(name: string): number | undefined {
  const upper = name.toUpperCase();
  const known = (RecordType as Record<string, number>)[upper];
  if (known !== undefined) return known;
  const m = /^TYPE(\d{1,5})$/.exec(upper);
  if (m) {
    const n = Number(m[1]);
    if (n <= 0xffff) return n;
  }
  return undefined;
}
/** `1` → `"IN"`; unknown → `"CLASS32"` (RFC 3597). */
export function className(cls: number): string {
  return CLASS_NAMES.get(cls) ?? `CLASS${cls}`;
}
/** `"IN"` / `"CLASS1"` → 1; undefined when unknown. */
export function classFromName(name: string): number | undefined {
  const upper = name.toUpperCase();
  const known = (RecordClass as Record<string, number>)[upper];
  if (known !== undefined) return known;
  const m = /^CLASS(\d{1,5})$/.exec(upper);
  if (m) {
    const n = Number(m[1]);
    if (n <= 0xffff) return n;
  }
  return undefined;
}
/** `3` → `"NXDOMAIN"`; unknown → `"RCODE12"`. */
export function rcodeName(rcode: number): string {
  return RCODE_NAMES.get(rcode) ?? `RCODE${rcode}`;
}
/** `0` → `"QUERY"`; unknown → `"OPCODE3"`. */
export function opcodeName(opcode: number): string {
  return OPCODE_NAMES.get(opcode) ?? `OPCODE${opcode}`;
}

/** RFC 1035 §4.1.1: the fixed header is 6 × 16-bit fields. */
export const HEADER_BYTES = 12;
/** RFC 1035 §2.3.4: labels are 63 octets or less (the top two length bits are the label type). */
export const MAX_LABEL_BYTES = 63;
/** RFC 1035 §2.3.4: names are 255 octets or less in wire form, length bytes and root included. */
export const MAX_NAME_BYTES = 255;
/**
 * Compression pointers followed while reading one name. A legal name has at most 127 labels
 * (255 bytes / 2 bytes per smallest label), and each pointer must lead to at least one label before
 * the next pointer could help, so 127 is the most a legal name needs; anything above is a loop or an
 * attack (miekg/dns uses the same bound, maxCompressionPointers).
 */
export const MAX_COMPRESSION_POINTERS = 127;
/** RFC 1035 §2.3.4: UDP messages are 512 octets or less without EDNS. */
export const CLASSIC_UDP_BYTES = 512;
/** The EDNS UDP size we advertise: the DNS Flag Day 2020 recommendation (no IP fragmentation). */
export const DEFAULT_EDNS_UDP_BYTES = 1232;
/** Compression pointers hold a 14-bit offset (RFC 1035 §4.1.4). */
export const MAX_POINTER_OFFSET = 0x3fff;
/** A message travels with a 16-bit length over TCP (RFC 1035 §4.2.2). */
export const MAX_MESSAGE_BYTES = 65535;
/** RFC 1035 §3.3: a <character-string> is one length octet and up to 255 octets. */
export const MAX_CHARACTER_STRING_BYTES = 255;
