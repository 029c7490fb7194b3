// Queries in wire form -> responses in wire form: header checks, EDNS (RFC 6891), truncation, answer cache.
import { encodeMessage } from "../codec/message.ts";
import { labelToText } from "../codec/name.ts";
import type { Message, ResourceRecord } from "../codec/types.ts";
import {
  CLASSIC_UDP_BYTES,
  DEFAULT_EDNS_UDP_BYTES,
  HEADER_BYTES,
  MAX_NAME_BYTES,
  Rcode,
  RecordClass,
  RecordType,
} from "../constants.ts";
import { answerQuestion, type ZoneSet } from "./answer.ts";

/** Counters a server keeps (printed on SIGUSR1 by the CLI). */
export interface ServerStats {
  queries: number;
  /** Datagrams or TCP messages dropped without an answer (no readable header, or a response). */
  dropped: number;
  /** UDP answers over the rate limit: dropped, or sent empty with TC (`slipped`). */
  rateLimited: number;
  /** Of `rateLimited`, the ones sent empty with TC so the client retries over TCP. */
  slipped: number;
  byRcode: Record<string, number>;
  byTransport: { udp: number; tcp: number };
  truncated: number;
  axfr: number;
}

export function emptyStats(): ServerStats {
  return {
    queries: 0,
    dropped: 0,
    rateLimited: 0,
    slipped: 0,
    byRcode: {},
    byTransport: { udp: 0, tcp: 0 },
    truncated: 0,
    axfr: 0,
  };
}

/** A query as the hot path reads it: header fields and the one question, no allocation of records. */
export class ParsedQuery {
  readonly #bytes: Uint8Array;
  #name: string | undefined;
  readonly id: number;
  readonly flags: number;
  readonly opcode: number;
  /** End of the question's name (offset of QTYPE). */
  nameEnd = HEADER_BYTES;
  /** End of the question section. */
  questionEnd = HEADER_BYTES;
  /** The question as a cache key: lower-cased wire name, QTYPE and QCLASS as UTF-16 code units. */
  key = "";
  qtype = 0;
  qclass = 0;
  /** The OPT record's fields, if the query had one. */
  edns: { udpPayloadSize: number; version: number; dnssecOk: boolean } | null = null;
  /** IXFR: the serial of the client's SOA in the authority section (RFC 1995 §3), if there is one. */
  ixfrSerial: number | undefined = undefined;
  /** Why the query is malformed (FORMERR), if it is. */
  formErr: string | undefined = undefined;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.id = (bytes[0]! << 8) | bytes[1]!;
    this.flags = (bytes[2]! << 8) | bytes[3]!;
    this.opcode = (this.flags >> 11) & 0xf;
  }

  /** Lower-case presentation name, absolute (built on first use: the hot path keys on `key`). */
  get name(): string {
    if (this.#name === undefined) {
      this.#name = this.nameEnd > HEADER_BYTES ? presentationName(this.#bytes, this.nameEnd) : "";
    }
    return this.#name;
  }

  fail(why: string): this {
    this.formErr = why;
    return this;
  }
}

/** A cached response: wire bytes with id 0 and the question in lower case, no OPT. */
interface Template {
  bytes: Uint8Array;
  /** Length without the additional section (cut when only it doesn't fit, RFC 2181 §9). */
  withoutAdditional: number;
  rcode: number;
}

/** TSIG's type number (RFC 8945 §4.2): allowed in a query's additional section, not verified here. */
const TSIG = 250;

/** Bytes of the OPT record we append: root name, TYPE, CLASS, TTL, RDLENGTH (RFC 6891 §6.1.2). */
const OPT_BYTES = 11;

/**
 * Scratch for building cache keys: a wire name is at most 255 bytes, plus QTYPE and QCLASS. A plain
 * array reused for every query: `String.fromCharCode.apply` on it allocates only the string (a
 * typed-array view per query showed up as latency tails).
 */
const KEY_UNITS: number[] = new Array<number>(MAX_NAME_BYTES + 2).fill(0);

/** The lower-case presentation form of the wire name at bytes[12..end) (plain labels only). */
function presentationName(q: Uint8Array, end: number): string {
  let name = "";
  for (let at = HEADER_BYTES; at < end - 1; at += 1 + q[at]!) {
    name += `${labelToText(q, at + 1, at + 1 + q[at]!).toLowerCase()}.`;
  }
  return name === "" ? "." : name;
}

/** Reads header and question; returns null when there is no header to answer to (RFC 1035 §4.1.1). */
export function parseQuery(q: Uint8Array): ParsedQuery | null {
  if (q.length < HEADER_BYTES) return null;
  const parsed = new ParsedQuery(q);
  const qdcount = (q[4]! << 8) | q[5]!;
  const ancount = (q[6]! << 8) | q[7]!;
  const nscount = (q[8]! << 8) | q[9]!;
  const arcount = (q[10]! << 8) | q[11]!;
  if (qdcount !== 1) {
    parsed.formErr = `${qdcount} questions`;
    return parsed;
  }
  // The question name: plain labels only (a pointer has nothing earlier to point to).
  let at = HEADER_BYTES;
  let units = 0;
  for (;;) {
    if (at >= q.length) return parsed.fail("question runs past the message");
    const len = q[at]!;
    if (len > 63) return parsed.fail("bad label in the question");
    if (at + 1 + len > q.length) return parsed.fail("question runs past the message");
    if (at + 1 + len - HEADER_BYTES > MAX_NAME_BYTES)
      return parsed.fail("question name over 255 bytes");
    KEY_UNITS[units++] = len;
    if (len === 0) {
      at++;
      break;
    }
    for (let i = at + 1; i <= at + len; i++) {
      const b = q[i]!;
      KEY_UNITS[units++] = b >= 0x41 && b <= 0x5a ? b | 0x20 : b; // ASCII lower case (RFC 4343)
    }
    at += 1 + len;
  }
  parsed.nameEnd = at;
  if (at + 4 > q.length) return parsed.fail("question runs past the message");
  parsed.qtype = (q[at]! << 8) | q[at + 1]!;
  parsed.qclass = (q[at + 2]! << 8) | q[at + 3]!;
  KEY_UNITS[units++] = parsed.qtype;
  KEY_UNITS[units++] = parsed.qclass;
  KEY_UNITS.length = units;
  parsed.key = String.fromCharCode.apply(null, KEY_UNITS);
  at += 4;
  parsed.questionEnd = at;
  if (parsed.opcode !== 0) return parsed; // NOTIMP needs no more
  // A query carries no rcode; NSD answers FORMERR to one that does, so do we.
  if ((parsed.flags & 0xf) !== 0) return parsed.fail("a query with an rcode");
  // Only IXFR carries a record outside the additional section: the client's SOA (RFC 1995 §3).
  if (ancount !== 0 || (nscount !== 0 && parsed.qtype !== RecordType.IXFR))
    return parsed.fail("a query with answer or authority records");
  for (let i = 0; i < nscount + arcount; i++) {
    const start = at;
    // Owner name: labels and at most one final pointer.
    for (;;) {
      if (at >= q.length) return parsed.fail("additional record runs past the message");
      const len = q[at]!;
      if (len === 0) {
        at++;
        break;
      }
      if ((len & 0xc0) === 0xc0) {
        at += 2;
        break;
      }
      if (len > 63) return parsed.fail("bad label in an additional record");
      at += 1 + len;
    }
    if (at + 10 > q.length) return parsed.fail("additional record runs past the message");
    const type = (q[at]! << 8) | q[at + 1]!;
    const cls = (q[at + 2]! << 8) | q[at + 3]!;
    const rdlength = (q[at + 8]! << 8) | q[at + 9]!;
    if (at + 10 + rdlength > q.length) return parsed.fail("rdata runs past the message");
    if (i < nscount) {
      // SOA rdata ends in SERIAL and four more 32-bit fields (RFC 1035 §3.3.13): read it from the
      // end, as NSD does, without parsing the two names before it (two root names at least).
      if (type === RecordType.SOA && parsed.ixfrSerial === undefined && rdlength >= 22) {
        const r = at + 10 + rdlength - 20;
        parsed.ixfrSerial =
          ((q[r]! << 24) | (q[r + 1]! << 16) | (q[r + 2]! << 8) | q[r + 3]!) >>> 0;
      }
    } else if (type !== RecordType.OPT && type !== TSIG) {
      // A query's additional section holds OPT and TSIG only; NSD answers FORMERR to anything else.
      return parsed.fail("a record other than OPT or TSIG in the additional section");
    } else if (type === RecordType.OPT) {
      if (parsed.edns !== null) return parsed.fail("two OPT records");
      if (at !== start + 1) return parsed.fail("an OPT record not at the root");
      parsed.edns = {
        udpPayloadSize: cls,
        version: q[at + 5]!,
        dnssecOk: (q[at + 6]! & 0x80) !== 0,
      };
    }
    at += 10 + rdlength;
  }
  return parsed;
}

/**
 * A class we serve nothing in and don't recognise (not IN, CH or ANY): NSD refuses it with the
 * header alone, and so do we (RFC 1035 §3.2.4).
 */
function isForeignClass(qclass: number): boolean {
  return qclass !== RecordClass.IN && qclass !== RecordClass.CH && qclass !== RecordClass.ANY;
}

/** RFC 1982 serial arithmetic: is `a` older than `b`? */
function serialBefore(a: number, b: number): boolean {
  return a !== b && (b - a) >>> 0 <= 0x80000000;
}

export interface ResponderOptions {
  /** Largest UDP answer we send to an EDNS client. @default 1232 */
  maxUdpBytes?: number;
  /** Cached answers kept before the cache starts over. @default 20000 */
  maxCachedAnswers?: number;
}

export const RESPONDER_DEFAULTS = {
  maxUdpBytes: DEFAULT_EDNS_UDP_BYTES,
  maxCachedAnswers: 20_000,
} as const;

/** Answers queries from a fixed set of zones; build a new one when the zones change. */
export class Responder {
  readonly zones: ZoneSet;
  readonly maxUdpBytes: number;
  readonly #maxCached: number;
  readonly #cache = new Map<string, Template>();

  constructor(zones: ZoneSet, options: ResponderOptions = {}) {
    this.zones = zones;
    this.maxUdpBytes = options.maxUdpBytes ?? RESPONDER_DEFAULTS.maxUdpBytes;
    if (!Number.isInteger(this.maxUdpBytes) || this.maxUdpBytes < 512 || this.maxUdpBytes > 65535) {
      throw new RangeError(`maxUdpBytes must be 512..65535, not ${this.maxUdpBytes}`);
    }
    this.#maxCached = options.maxCachedAnswers ?? RESPONDER_DEFAULTS.maxCachedAnswers;
  }

  /** The response template for a question, from the cache or freshly built. */
  #template(p: ParsedQuery): Template {
    const key = p.key;
    const hit = this.#cache.get(key);
    if (hit) return hit;
    const answer = answerQuestion(this.zones, p.name, p.qtype, p.qclass);
    const message = baseMessage(p, answer.rcode);
    message.authoritative = answer.authoritative;
    message.answers = answer.answers;
    message.authorities = answer.authorities;
    const withoutAdditional = encodeMessage(message).length;
    message.additionals = answer.additionals;
    const template = { bytes: encodeMessage(message), withoutAdditional, rcode: answer.rcode };
    if (this.#cache.size >= this.#maxCached) this.#cache.clear();
    this.#cache.set(key, template);
    return template;
  }

  /**
   * The response to one query, or null when it gets none (no readable header, or it is itself a
   * response). `tcp` lifts the size limit. AXFR is the transport's business (see `transfer`).
   * With `scratch` (at least 65535 + 11 bytes) the answer is written there and a view of it is
   * returned, valid until the next call: for senders that copy at once (Bun's UDP send does).
   */
  respond(q: Uint8Array, p: ParsedQuery, tcp: boolean, scratch?: Uint8Array): Uint8Array {
    if (p.opcode === 4) {
      // NOTIFY, as NSD: a broken question FORMERR, a zone of ours REFUSED (we are nobody's
      // secondary, RFC 1996 §3.10), any other name NXDOMAIN.
      const rcode =
        p.formErr !== undefined
          ? Rcode.FORMERR
          : this.zones.get(p.name)
            ? Rcode.REFUSED
            : Rcode.NXDOMAIN;
      return errorResponse(q, p, rcode);
    }
    if (p.opcode !== 0) return errorResponse(q, p, Rcode.NOTIMP);
    if (p.formErr !== undefined) return errorResponse(q, p, Rcode.FORMERR);
    if (p.edns && p.edns.version !== 0) return errorResponse(q, p, Rcode.BADVERS);
    if (isForeignClass(p.qclass)) return errorResponse(q, p, Rcode.REFUSED, false);
    const t = this.#template(p);
    const limit = tcp ? 65535 : this.#udpLimit(p);
    const opt = p.edns ? OPT_BYTES : 0;
    let length = t.bytes.length;
    let truncated = false;
    let dropAdditional = false;
    if (length + opt > limit) {
      if (t.withoutAdditional + opt <= limit) {
        length = t.withoutAdditional;
        dropAdditional = true;
      } else {
        length = p.questionEnd;
        truncated = true;
      }
    }
    const out = scratch ? scratch.subarray(0, length + opt) : new Uint8Array(length + opt);
    if (length === t.bytes.length) out.set(t.bytes);
    else out.set(t.bytes.subarray(0, length));
    out[0] = q[0]!;
    out[1] = q[1]!;
    // RD and CD are copied from the query (RFC 1035 §4.1.1, RFC 4035 §3.1.6).
    out[2] = out[2]! | (q[2]! & 0x01) | (truncated ? 0x02 : 0);
    out[3] = out[3]! | (q[3]! & 0x10);
    // The question goes back with the client's letter case (same length: same labels).
    for (let i = HEADER_BYTES; i < p.nameEnd; i++) out[i] = q[i]!;
    if (truncated) {
      out[6] = out[7] = out[8] = out[9] = 0;
    }
    let arcount = truncated || dropAdditional ? 0 : (out[10]! << 8) | out[11]!;
    if (p.edns) {
      writeOpt(out, length, this.maxUdpBytes, 0, p.edns.dnssecOk);
      arcount++;
    }
    out[10] = arcount >> 8;
    out[11] = arcount & 0xff;
    return out;
  }

  /** Largest UDP answer to this query: the client's EDNS size within [512, maxUdpBytes], else 512. */
  #udpLimit(p: ParsedQuery): number {
    return p.edns
      ? Math.min(Math.max(p.edns.udpPayloadSize, CLASSIC_UDP_BYTES), this.maxUdpBytes)
      : CLASSIC_UDP_BYTES;
  }

  /**
   * The answer to AXFR or IXFR (a well-formed QUERY), in the order NSD checks: AXFR over UDP is
   * NOTIMP (RFC 5936 §4.2: TCP only); a name that is no zone's apex NOTAUTH; a client not in
   * `allowed` REFUSED; IXFR without the client's SOA FORMERR (RFC 1995 §3). IXFR from a client as
   * new as us gets our SOA alone (RFC 1995 §2); else, with no journal, the full zone (§4), which
   * over UDP must fit in one message or is replaced by our SOA alone, telling the client to use TCP.
   */
  transfer(q: Uint8Array, p: ParsedQuery, tcp: boolean, allowed: boolean): Uint8Array[] {
    if (p.edns && p.edns.version !== 0) return [errorResponse(q, p, Rcode.BADVERS)];
    if (isForeignClass(p.qclass)) return [errorResponse(q, p, Rcode.REFUSED, false)];
    if (!tcp && p.qtype === RecordType.AXFR) return [errorResponse(q, p, Rcode.NOTIMP)];
    const zone = this.zones.get(p.name);
    if (!zone) return [errorResponse(q, p, Rcode.NOTAUTH)];
    if (!allowed) return [errorResponse(q, p, Rcode.REFUSED)];
    if (p.qtype === RecordType.IXFR) {
      if (p.ixfrSerial === undefined) return [errorResponse(q, p, Rcode.FORMERR)];
      const soaOnly = () => this.#transferMessages(q, p, [zone.soa]);
      if (!serialBefore(p.ixfrSerial, zone.serial)) return soaOnly();
      if (!tcp) {
        const full = this.#transferMessages(q, p, [...zone.records, zone.soa]);
        return full.length === 1 && full[0]!.length <= this.#udpLimit(p) ? full : soaOnly();
      }
    }
    return this.#transferMessages(q, p, [...zone.records, zone.soa]);
  }

  /** `records` in as many messages as it takes, each well under the 64 KiB a TCP message allows. */
  #transferMessages(
    q: Uint8Array,
    p: ParsedQuery,
    records: readonly ResourceRecord[],
  ): Uint8Array[] {
    const out: Uint8Array[] = [];
    // Each message carries the records that fit comfortably in a 16-bit TCP message.
    let batch: ResourceRecord[] = [];
    let estimate = 0;
    const flush = () => {
      const m = baseMessage(p, Rcode.NOERROR);
      m.id = p.id;
      m.authoritative = true;
      m.answers = batch;
      if (p.edns && out.length === 0) m.edns = ednsOf(this.maxUdpBytes);
      const bytes = encodeMessage(m);
      bytes.set(q.subarray(HEADER_BYTES, p.nameEnd), HEADER_BYTES);
      out.push(bytes);
      batch = [];
      estimate = 0;
    };
    for (const rr of records) {
      const size =
        300 + (rr.data instanceof Uint8Array ? rr.data.length : JSON.stringify(rr.data).length);
      if (estimate + size > 60_000 && batch.length > 0) flush();
      batch.push(rr);
      estimate += size;
    }
    flush();
    return out;
  }
}

function ednsOf(size: number): NonNullable<Message["edns"]> {
  return { udpPayloadSize: size, version: 0, dnssecOk: false, flags: 0, options: [] };
}

function baseMessage(p: ParsedQuery, rcode: number): Message {
  return {
    id: 0,
    isResponse: true,
    opcode: p.opcode,
    authoritative: false,
    truncated: false,
    recursionDesired: false,
    recursionAvailable: false,
    authenticData: false,
    checkingDisabled: false,
    rcode,
    questions: [{ name: p.name, type: p.qtype, class: p.qclass }],
    answers: [],
    authorities: [],
    additionals: [],
  };
}

/**
 * The TC reply RRL sends in place of an answer over the rate (slip): the response cut to its
 * header and question, every count but QDCOUNT zero, TC set. No OPT, as NSD's. In place.
 */
export function slipResponse(r: Uint8Array, p: ParsedQuery): Uint8Array {
  const hasQuestion = r[4] !== 0 || r[5] !== 0;
  r[2] = r[2]! | 0x02;
  r.fill(0, 6, 12);
  return r.subarray(0, hasQuestion ? p.questionEnd : HEADER_BYTES);
}

/**
 * Writes an OPT record at `at`: our payload size, the extended rcode bits, version 0, and the DO
 * bit copied from the query (RFC 3225 §3).
 */
function writeOpt(
  out: Uint8Array,
  at: number,
  size: number,
  extendedRcode: number,
  dnssecOk: boolean,
): void {
  out[at] = 0;
  out[at + 1] = 0;
  out[at + 2] = RecordType.OPT;
  out[at + 3] = size >> 8;
  out[at + 4] = size & 0xff;
  out[at + 5] = extendedRcode;
  out.fill(0, at + 6, at + 11);
  if (dnssecOk) out[at + 7] = 0x80;
}

/**
 * A response carrying only an rcode: the header, the question when it could be read, and an
 * OPT record when the query had one (BADVERS lives in its extended rcode, RFC 6891 §6.1.3).
 */
export function errorResponse(
  q: Uint8Array,
  p: ParsedQuery,
  rcode: number,
  question = true,
): Uint8Array {
  // Another opcode's body may not be a question at all (RFC 6895 §2.2): NSD sends the header alone.
  const withQuestion =
    question && p.formErr === undefined && p.opcode === 0 && p.questionEnd > HEADER_BYTES;
  const questionEnd = withQuestion ? p.questionEnd : HEADER_BYTES;
  const edns = p.edns !== null && p.formErr === undefined;
  const out = new Uint8Array(questionEnd + (edns ? OPT_BYTES : 0));
  out.set(q.subarray(0, questionEnd));
  // QR, opcode and RD kept; AA and TC clear. Under another opcode NSD echoes every bit (its
  // meaning is that opcode's), so we do too.
  out[2] = 0x80 | (q[2]! & (p.opcode === 0 ? 0x79 : 0x7f));
  out[3] = (q[3]! & 0x10) | (rcode & 0xf);
  out[4] = 0;
  out[5] = withQuestion ? 1 : 0;
  out.fill(0, 6, 10);
  out[10] = 0;
  out[11] = edns ? 1 : 0;
  if (edns)
    writeOpt(out, questionEnd, DEFAULT_EDNS_UDP_BYTES, rcode >> 4, p.edns?.dnssecOk ?? false);
  return out;
}
