// Whole DNS messages: header, four sections, EDNS0 (RFC 1035 §4.1, RFC 6891 §6).
import { HEADER_BYTES, RecordClass, RecordType } from "../constants.ts";
import { DnsError } from "../errors.ts";
import { type NameCache, readName, writeName } from "./name.ts";
import { decodeRdata, encodeRdata } from "./rdata.ts";
import type { Edns, Message, Question, ResourceRecord, TypedRecord } from "./types.ts";
import { Writer } from "./writer.ts";

/** Narrows a record to a typed kind: `if (isRecordType(rr, RecordType.MX)) rr.data.exchange`. */
export function isRecordType<T extends TypedRecord["type"]>(
  rr: ResourceRecord,
  type: T,
): rr is Extract<TypedRecord, { type: T }> {
  return rr.type === type && !(rr.data instanceof Uint8Array);
}

/**
 * Decodes one message. Throws DnsError (TRUNCATED_HEADER, TRUNCATED_MESSAGE, RDATA_OVERRUN,
 * BAD_RDATA, BAD_POINTER, POINTER_LOOP, LABEL_TOO_LONG, NAME_TOO_LONG, BAD_LABEL_TYPE, BAD_OPT).
 * Section counts are trusted only as far as the bytes go: entries are appended as read, so a
 * header claiming 65535 records costs nothing before the data runs out. Trailing bytes are ignored.
 */
export function decodeMessage(bytes: Uint8Array): Message {
  const len = bytes.length;
  if (len < HEADER_BYTES) {
    throw new DnsError("TRUNCATED_HEADER", `message of ${len} bytes has no complete header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, len);
  const flags = view.getUint16(2);
  const qdcount = view.getUint16(4);
  const ancount = view.getUint16(6);
  const nscount = view.getUint16(8);
  const arcount = view.getUint16(10);
  const cache: NameCache = { names: new Map() };
  let at = HEADER_BYTES;

  const questions: Question[] = [];
  for (let i = 0; i < qdcount; i++) {
    if (at >= len)
      throw new DnsError("TRUNCATED_MESSAGE", `question ${i + 1} of ${qdcount} missing`);
    const n = readName(bytes, at, len, cache);
    at = n.offset;
    if (at + 4 > len) throw new DnsError("TRUNCATED_MESSAGE", `question ${i + 1} cut short`);
    questions.push({ name: n.value, type: view.getUint16(at), class: view.getUint16(at + 2) });
    at += 4;
  }

  let edns: Edns | undefined;
  let extendedRcode = 0;
  const readSection = (count: number, section: string, isAdditional: boolean) => {
    const out: ResourceRecord[] = [];
    for (let i = 0; i < count; i++) {
      if (at >= len) {
        throw new DnsError("TRUNCATED_MESSAGE", `${section} record ${i + 1} of ${count} missing`);
      }
      const n = readName(bytes, at, len, cache);
      at = n.offset;
      if (at + 10 > len)
        throw new DnsError("TRUNCATED_MESSAGE", `${section} record ${i + 1} cut short`);
      const type = view.getUint16(at);
      const cls = view.getUint16(at + 2);
      const ttl = view.getUint32(at + 4);
      const rdlength = view.getUint16(at + 8);
      at += 10;
      const end = at + rdlength;
      if (end > len) {
        throw new DnsError(
          "RDATA_OVERRUN",
          `${section} record ${i + 1}: rdlength ${rdlength} past the end`,
        );
      }
      const data = decodeRdata(bytes, view, type, at, end, cache);
      at = end;
      if (type === RecordType.OPT) {
        // RFC 6891 §6.1.1: one OPT, in the additional section, owned by the root.
        if (!isAdditional || edns || n.value !== ".") {
          throw new DnsError("BAD_OPT", `misplaced or repeated OPT record in ${section}`);
        }
        extendedRcode = ttl >>> 24;
        edns = {
          udpPayloadSize: cls,
          version: (ttl >>> 16) & 0xff,
          dnssecOk: (ttl & 0x8000) !== 0,
          flags: ttl & 0x7fff,
          options: (data as { options: Edns["options"] }).options,
        };
        continue;
      }
      out.push({ name: n.value, type, class: cls, ttl, data } as ResourceRecord);
    }
    return out;
  };
  const answers = readSection(ancount, "answer", false);
  const authorities = readSection(nscount, "authority", false);
  const additionals = readSection(arcount, "additional", true);

  const message: Message = {
    id: view.getUint16(0),
    isResponse: (flags & 0x8000) !== 0,
    opcode: (flags >>> 11) & 0xf,
    authoritative: (flags & 0x0400) !== 0,
    truncated: (flags & 0x0200) !== 0,
    recursionDesired: (flags & 0x0100) !== 0,
    recursionAvailable: (flags & 0x0080) !== 0,
    authenticData: (flags & 0x0020) !== 0,
    checkingDisabled: (flags & 0x0010) !== 0,
    rcode: (extendedRcode << 4) | (flags & 0xf),
    questions,
    answers,
    authorities,
    additionals,
  };
  if (edns) message.edns = edns;
  return message;
}

/** Encoding options. */
export interface EncodeOptions {
  /** Compress names (RFC 1035 §4.1.4). @default true */
  compress?: boolean;
}

let scratch: Writer | undefined;

function writeRecord(w: Writer, rr: ResourceRecord, compress: boolean): void {
  writeName(w, rr.name, compress);
  w.ensure(10);
  const v = w.view;
  v.setUint16(w.pos, rr.type);
  v.setUint16(w.pos + 2, rr.class);
  v.setUint32(w.pos + 4, rr.ttl >>> 0);
  const lengthAt = w.pos + 8;
  w.pos += 10;
  encodeRdata(w, rr, compress);
  const rdlength = w.pos - lengthAt - 2;
  w.view.setUint16(lengthAt, rdlength);
}

/**
 * Encodes a message into a fresh Uint8Array. `edns`, when present, is written as the last
 * additional record, and the upper 8 bits of `rcode` go into it (RFC 6891 §6.1.3); an rcode
 * above 15 without `edns` is a BAD_VALUE. The bytes own a plain ArrayBuffer, so a browser's
 * `fetch` takes them as a DNS-over-HTTPS body (RFC 8484) as they are.
 */
export function encodeMessage(
  message: Message,
  options: EncodeOptions = {},
): Uint8Array<ArrayBuffer> {
  const compress = options.compress ?? true;
  // One reusable buffer: grows once to the largest message seen, then every encode is one copy.
  const w = scratch ?? new Writer(4096);
  scratch = undefined;
  w.pos = 0;
  if (w.names.size > 0) w.names.clear();
  if (w.exactNames.length > 0) {
    w.exactNames.length = 0;
    w.exactOffsets.length = 0;
  }
  if (w.deferred.length > 0) w.deferred.length = 0;
  try {
    const { rcode } = message;
    if (!Number.isInteger(rcode) || rcode < 0 || rcode > 0xfff || (rcode > 15 && !message.edns)) {
      throw new DnsError(
        "BAD_VALUE",
        `rcode ${rcode} does not fit${message.edns ? "" : " without EDNS"}`,
      );
    }
    if (!Number.isInteger(message.id) || message.id < 0 || message.id > 0xffff) {
      throw new DnsError("BAD_VALUE", `id ${message.id}`);
    }
    const flags =
      (message.isResponse ? 0x8000 : 0) |
      ((message.opcode & 0xf) << 11) |
      (message.authoritative ? 0x0400 : 0) |
      (message.truncated ? 0x0200 : 0) |
      (message.recursionDesired ? 0x0100 : 0) |
      (message.recursionAvailable ? 0x0080 : 0) |
      (message.authenticData ? 0x0020 : 0) |
      (message.checkingDisabled ? 0x0010 : 0) |
      (rcode & 0xf);
    const arcount = message.additionals.length + (message.edns ? 1 : 0);
    const most = Math.max(
      message.questions.length,
      message.answers.length,
      message.authorities.length,
      arcount,
    );
    if (most > 0xffff) throw new DnsError("BAD_VALUE", `section of ${most} entries`);
    w.ensure(HEADER_BYTES);
    const v = w.view;
    v.setUint16(0, message.id);
    v.setUint16(2, flags);
    v.setUint16(4, message.questions.length);
    v.setUint16(6, message.answers.length);
    v.setUint16(8, message.authorities.length);
    v.setUint16(10, arcount);
    w.pos = HEADER_BYTES;
    for (const q of message.questions) {
      writeName(w, q.name, compress);
      w.u16(q.type);
      w.u16(q.class);
    }
    for (const rr of message.answers) writeRecord(w, rr, compress);
    for (const rr of message.authorities) writeRecord(w, rr, compress);
    for (const rr of message.additionals) writeRecord(w, rr, compress);
    if (message.edns) {
      const e = message.edns;
      const ttl =
        (((rcode >>> 4) & 0xff) << 24) |
        ((e.version & 0xff) << 16) |
        (e.dnssecOk ? 0x8000 : 0) |
        (e.flags & 0x7fff);
      writeRecord(
        w,
        {
          name: ".",
          type: RecordType.OPT,
          class: e.udpPayloadSize,
          ttl: ttl >>> 0,
          data: { options: e.options },
        },
        compress,
      );
    }
    return w.finish();
  } finally {
    scratch = w;
  }
}

/** Options for createQuery. */
export interface QueryOptions {
  /** @default random 16-bit id */
  id?: number;
  /** @default RecordClass.IN */
  class?: number;
  /** RD. @default true */
  recursionDesired?: boolean;
  /** Advertise EDNS0 with this UDP payload size; 0 leaves EDNS out. @default 1232 */
  ednsUdpPayloadSize?: number;
  /** The DO bit. @default false */
  dnssecOk?: boolean;
  /** AD in a query: "I understand AD" (RFC 6840 §5.7). @default false */
  authenticData?: boolean;
  /** CD. @default false */
  checkingDisabled?: boolean;
}

/** A random 16-bit id from the CSPRNG (ids are part of spoofing defence, RFC 5452 §9.2). */
export function randomId(): number {
  const b = new Uint16Array(1);
  crypto.getRandomValues(b);
  return b[0] as number;
}

/** A standard query for one question. */
export function createQuery(name: string, type: number, options: QueryOptions = {}): Message {
  const size = options.ednsUdpPayloadSize ?? 1232;
  const message: Message = {
    id: options.id ?? randomId(),
    isResponse: false,
    opcode: 0,
    authoritative: false,
    truncated: false,
    recursionDesired: options.recursionDesired ?? true,
    recursionAvailable: false,
    authenticData: options.authenticData ?? false,
    checkingDisabled: options.checkingDisabled ?? false,
    rcode: 0,
    questions: [{ name, type, class: options.class ?? RecordClass.IN }],
    answers: [],
    authorities: [],
    additionals: [],
  };
  if (size > 0) {
    message.edns = {
      udpPayloadSize: size,
      version: 0,
      dnssecOk: options.dnssecOk ?? false,
      flags: 0,
      options: [],
    };
  }
  return message;
}

/**
 * An empty response to `query`: same id, opcode, RD, CD and questions, QR set. EDNS is echoed
 * (version 0, our payload size) when the query had it (RFC 6891 §7).
 */
export function createResponse(query: Message, rcode = 0, udpPayloadSize = 1232): Message {
  const response: Message = {
    id: query.id,
    isResponse: true,
    opcode: query.opcode,
    authoritative: false,
    truncated: false,
    recursionDesired: query.recursionDesired,
    recursionAvailable: false,
    authenticData: false,
    checkingDisabled: query.checkingDisabled,
    rcode,
    questions: query.questions.map((q) => ({ ...q })),
    answers: [],
    authorities: [],
    additionals: [],
  };
  if (query.edns) {
    response.edns = {
      udpPayloadSize,
      version: 0,
      dnssecOk: query.edns.dnssecOk,
      flags: 0,
      options: [],
    };
  }
  return response;
}
