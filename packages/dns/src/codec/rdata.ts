// Record data wire codec for the typed TYPEs (RFC 1035 §3.3, RFC 3596, RFC 2782, RFC 8659, RFC 6891).
import { MAX_CHARACTER_STRING_BYTES, RecordType } from "../constants.ts";
import { DnsError } from "../errors.ts";
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6, writeIPv4 } from "./address.ts";
import { type NameCache, readName, writeName } from "./name.ts";
import type {
  CaaData,
  MxData,
  OptData,
  ResourceRecord,
  SoaData,
  SrvData,
  TargetData,
  TxtData,
} from "./types.ts";
import type { Writer } from "./writer.ts";

function need(end: number, at: number, n: number, type: number): void {
  if (at + n > end) {
    throw new DnsError("BAD_RDATA", `rdata of type ${type} too short`);
  }
}

/**
 * Decodes rdata of `type` lying in bytes[start, end). Names may use compression pointers (into any
 * earlier part of the message). The data must fill the rdata exactly, or BAD_RDATA is thrown.
 */
export function decodeRdata(
  bytes: Uint8Array,
  view: DataView,
  type: number,
  start: number,
  end: number,
  cache?: NameCache,
): ResourceRecord["data"] {
  let at = start;
  let data: ResourceRecord["data"];
  // The common case first, before the closure below is allocated.
  if (type === RecordType.A) {
    if (end - start !== 4) throw new DnsError("BAD_RDATA", `A rdata of ${end - start} bytes`);
    return { address: formatIPv4(bytes, start) };
  }
  const name = () => {
    if (at >= end) throw new DnsError("BAD_RDATA", `rdata of type ${type} too short for a name`);
    let r: { value: string; offset: number };
    try {
      r = readName(bytes, at, end, cache);
    } catch (e) {
      // Inside rdata, a name cut short means the record ran past its rdlength.
      if (e instanceof DnsError && e.code === "TRUNCATED_MESSAGE") {
        throw new DnsError("BAD_RDATA", `type ${type}: name runs past the rdata (${e.message})`);
      }
      throw e;
    }
    at = r.offset;
    return r.value;
  };
  switch (type) {
    case RecordType.AAAA:
      if (end - start !== 16) throw new DnsError("BAD_RDATA", `AAAA rdata of ${end - start} bytes`);
      data = { address: formatIPv6(bytes, start) };
      at = end;
      break;
    case RecordType.NS:
    case RecordType.CNAME:
    case RecordType.PTR:
      data = { target: name() } satisfies TargetData;
      break;
    case RecordType.MX: {
      need(end, at, 2, type);
      const preference = view.getUint16(at);
      at += 2;
      data = { preference, exchange: name() } satisfies MxData;
      break;
    }
    case RecordType.SOA: {
      const mname = name();
      const rname = name();
      need(end, at, 20, type);
      data = {
        mname,
        rname,
        serial: view.getUint32(at),
        refresh: view.getUint32(at + 4),
        retry: view.getUint32(at + 8),
        expire: view.getUint32(at + 12),
        minimum: view.getUint32(at + 16),
      } satisfies SoaData;
      at += 20;
      break;
    }
    case RecordType.TXT: {
      // RFC 1035 §3.3.14: one or more strings; an empty rdata is malformed.
      if (end === start) throw new DnsError("BAD_RDATA", "TXT rdata is empty");
      const strings: Uint8Array[] = [];
      while (at < end) {
        const len = bytes[at] as number;
        need(end, at + 1, len, type);
        strings.push(bytes.slice(at + 1, at + 1 + len));
        at += 1 + len;
      }
      data = { strings } satisfies TxtData;
      break;
    }
    case RecordType.SRV: {
      need(end, at, 6, type);
      const priority = view.getUint16(at);
      const weight = view.getUint16(at + 2);
      const port = view.getUint16(at + 4);
      at += 6;
      data = { priority, weight, port, target: name() } satisfies SrvData;
      break;
    }
    case RecordType.CAA: {
      need(end, at, 2, type);
      const flags = bytes[at] as number;
      const tagLen = bytes[at + 1] as number;
      at += 2;
      // RFC 8659 §4.1: the tag is 1..15 characters.
      if (tagLen === 0) throw new DnsError("BAD_RDATA", "CAA tag is empty");
      need(end, at, tagLen, type);
      let tag = "";
      for (let i = at; i < at + tagLen; i++) tag += String.fromCharCode(bytes[i] as number);
      at += tagLen;
      data = { flags, tag, value: bytes.slice(at, end) } satisfies CaaData;
      at = end;
      break;
    }
    case RecordType.OPT: {
      const options: OptData["options"] = [];
      while (at < end) {
        need(end, at, 4, type);
        const code = view.getUint16(at);
        const len = view.getUint16(at + 2);
        need(end, at + 4, len, type);
        options.push({ code, data: bytes.slice(at + 4, at + 4 + len) });
        at += 4 + len;
      }
      data = { options } satisfies OptData;
      break;
    }
    default:
      data = bytes.slice(start, end);
      at = end;
  }
  if (at !== end) {
    throw new DnsError("BAD_RDATA", `rdata of type ${type}: ${end - at} bytes left over`);
  }
  return data;
}

function u16(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new DnsError("BAD_VALUE", `${what}: ${v}`);
  return v;
}
function u32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new DnsError("BAD_VALUE", `${what}: ${v}`);
  }
  return v;
}
function characterString(w: Writer, s: Uint8Array): void {
  if (s.length > MAX_CHARACTER_STRING_BYTES) {
    throw new DnsError("BAD_VALUE", `character-string of ${s.length} bytes (max 255)`);
  }
  w.u8(s.length);
  w.bytes(s);
}

/**
 * Writes the rdata of `rr` (without the rdlength). Names in NS, CNAME, PTR, MX and SOA are
 * compressed when `compress` is set; SRV targets never are (RFC 2782, RFC 3597 §4).
 */
export function encodeRdata(w: Writer, rr: ResourceRecord, compress: boolean): void {
  const d = rr.data as unknown;
  if (d instanceof Uint8Array) {
    w.bytes(d);
    return;
  }
  const type = rr.type;
  switch (type) {
    case RecordType.A: {
      const address = (d as { address: string }).address;
      w.ensure(4);
      if (!writeIPv4(address, w.buf, w.pos)) parseIPv4(address); // throws BAD_VALUE
      w.pos += 4;
      return;
    }
    case RecordType.AAAA:
      w.bytes(parseIPv6((d as { address: string }).address));
      return;
    case RecordType.NS:
    case RecordType.CNAME:
    case RecordType.PTR:
      writeName(w, (d as TargetData).target, compress);
      return;
    case RecordType.MX: {
      const mx = d as MxData;
      w.u16(u16(mx.preference, "MX preference"));
      writeName(w, mx.exchange, compress);
      return;
    }
    case RecordType.SOA: {
      const soa = d as SoaData;
      writeName(w, soa.mname, compress);
      writeName(w, soa.rname, compress);
      w.u32(u32(soa.serial, "SOA serial"));
      w.u32(u32(soa.refresh, "SOA refresh"));
      w.u32(u32(soa.retry, "SOA retry"));
      w.u32(u32(soa.expire, "SOA expire"));
      w.u32(u32(soa.minimum, "SOA minimum"));
      return;
    }
    case RecordType.TXT: {
      const txt = d as TxtData;
      if (txt.strings.length === 0)
        throw new DnsError("BAD_VALUE", "TXT needs at least one string");
      for (const s of txt.strings) characterString(w, s);
      return;
    }
    case RecordType.SRV: {
      const srv = d as SrvData;
      w.u16(u16(srv.priority, "SRV priority"));
      w.u16(u16(srv.weight, "SRV weight"));
      w.u16(u16(srv.port, "SRV port"));
      writeName(w, srv.target, false);
      return;
    }
    case RecordType.CAA: {
      const caa = d as CaaData;
      if (!Number.isInteger(caa.flags) || caa.flags < 0 || caa.flags > 255) {
        throw new DnsError("BAD_VALUE", `CAA flags: ${caa.flags}`);
      }
      // RFC 8659 wants 1..15 alphanumerics; we only refuse what the wire cannot carry, so any
      // record we decoded can be encoded again.
      const tagFits = caa.tag.length >= 1 && caa.tag.length <= 255;
      if (!tagFits || [...caa.tag].some((c) => c.charCodeAt(0) > 0xff)) {
        throw new DnsError("BAD_VALUE", `CAA tag: ${caa.tag}`);
      }
      w.u8(caa.flags);
      w.u8(caa.tag.length);
      for (let i = 0; i < caa.tag.length; i++) w.u8(caa.tag.charCodeAt(i));
      w.bytes(caa.value);
      return;
    }
    case RecordType.OPT:
      for (const o of (d as OptData).options) {
        w.u16(u16(o.code, "EDNS option code"));
        w.u16(u16(o.data.length, "EDNS option length"));
        w.bytes(o.data);
      }
      return;
    default:
      throw new DnsError("BAD_VALUE", `type ${type} needs its rdata as a Uint8Array`);
  }
}
