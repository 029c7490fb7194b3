// The values a DNS message decodes to (RFC 1035 §4.1, RFC 6891 §6): plain data, no methods.
import type { RecordType } from "../constants.ts";

/** A: an IPv4 address in dotted-quad text (RFC 1035 §3.4.1). */
export interface AData {
  address: string;
}
/** AAAA: an IPv6 address in RFC 5952 text (RFC 3596). */
export interface AaaaData {
  address: string;
}
/** NS, CNAME, PTR: one domain name (RFC 1035 §3.3.11, §3.3.1, §3.3.12). */
export interface TargetData {
  target: string;
}
/** SOA (RFC 1035 §3.3.13). Times in seconds. */
export interface SoaData {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}
/** MX (RFC 1035 §3.3.9). */
export interface MxData {
  preference: number;
  exchange: string;
}
/** TXT: one or more <character-string>s of up to 255 bytes each, kept as bytes (RFC 1035 §3.3.14). */
export interface TxtData {
  strings: Uint8Array[];
}
/** SRV (RFC 2782). */
export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}
/** CAA (RFC 8659 §4.1): flags (128 = critical), ASCII tag, value bytes. */
export interface CaaData {
  flags: number;
  tag: string;
  value: Uint8Array;
}
/** One EDNS option (RFC 6891 §6.1.2). */
export interface EdnsOption {
  code: number;
  data: Uint8Array;
}
/** OPT rdata: the options list (the rest of the OPT record lives in `Message.edns`). */
export interface OptData {
  options: EdnsOption[];
}

/** Maps each typed record TYPE to its data shape. */
export interface RecordDataMap {
  A: AData;
  AAAA: AaaaData;
  NS: TargetData;
  CNAME: TargetData;
  PTR: TargetData;
  SOA: SoaData;
  MX: MxData;
  TXT: TxtData;
  SRV: SrvData;
  CAA: CaaData;
  OPT: OptData;
}
/** A record type whose data is decoded into fields (the keys of `RecordDataMap`). */
export type TypedRecordName = keyof RecordDataMap;

/** The fields every resource record has. */
export interface RecordBase {
  /** Absolute presentation name, e.g. "www.example.com.". */
  name: string;
  class: number;
  /** Seconds (for OPT: extended rcode, version and flags, see Message.edns). */
  ttl: number;
}

/** A record whose type has typed data: narrowing on `type` narrows `data`. */
export type TypedRecord<K extends TypedRecordName = TypedRecordName> = {
  [P in K]: RecordBase & { type: (typeof RecordType)[P]; data: RecordDataMap[P] };
}[K];

/** Any other type: the rdata bytes as they were (RFC 3597), printed as `\# <len> <hex>`. */
export interface UnknownRecord extends RecordBase {
  type: number;
  data: Uint8Array;
}

/**
 * A resource record (RFC 1035 §4.1.3). For the types in RecordDataMap `data` is the typed object;
 * for every other type it is a Uint8Array. Use `isRecordType(rr, RecordType.MX)` to narrow.
 */
export type ResourceRecord = TypedRecord | UnknownRecord;

/** A question (RFC 1035 §4.1.2). */
export interface Question {
  name: string;
  type: number;
  class: number;
}

/** The EDNS0 OPT pseudo-record, lifted out of the additional section (RFC 6891 §6.1.3). */
export interface Edns {
  /** Requestor's UDP payload size (the OPT CLASS field). */
  udpPayloadSize: number;
  version: number;
  /** The DO bit (RFC 3225). */
  dnssecOk: boolean;
  /** The other 15 flag bits (must be zero today; kept for round trips). */
  flags: number;
  options: EdnsOption[];
}

/** A whole DNS message (RFC 1035 §4.1). */
export interface Message {
  id: number;
  /** QR. */
  isResponse: boolean;
  opcode: number;
  /** AA. */
  authoritative: boolean;
  /** TC. */
  truncated: boolean;
  /** RD. */
  recursionDesired: boolean;
  /** RA. */
  recursionAvailable: boolean;
  /** AD (RFC 4035 §3.2.3). */
  authenticData: boolean;
  /** CD (RFC 4035 §3.2.2). */
  checkingDisabled: boolean;
  /** The full RCODE: header bits plus the EDNS extended bits (RFC 6891 §6.1.3). */
  rcode: number;
  questions: Question[];
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  /** Without the OPT record: that one is `edns`. */
  additionals: ResourceRecord[];
  edns?: Edns;
}
