// A loaded zone: its records in a name tree, checked the way NSD and BIND check a master file.

import type { ResourceRecord, SoaData } from "../codec/types.ts";
import { RecordType } from "../constants.ts";
import { ZoneSyntaxError } from "./lexer.ts";
import { isSubdomain, nameKey } from "./name.ts";
import { ZoneTree } from "./tree.ts";

/** Where a record came from, for error messages. */
export interface RecordSource {
  file: string;
  line: number;
  column: number;
}

/** One authoritative zone. Records are immutable once the zone is built. */
export class Zone {
  /** Lower-case absolute origin, e.g. `netkit.test.`. */
  readonly origin: string;
  readonly tree: ZoneTree<ResourceRecord>;
  readonly soa: ResourceRecord & { data: SoaData };
  /** Every record in file order, SOA first (what AXFR sends). */
  readonly records: readonly ResourceRecord[];

  constructor(
    origin: string,
    tree: ZoneTree<ResourceRecord>,
    soa: ResourceRecord & { data: SoaData },
    records: ResourceRecord[],
  ) {
    this.origin = origin;
    this.tree = tree;
    this.soa = soa;
    this.records = records;
  }

  get serial(): number {
    return this.soa.data.serial;
  }

  /** The SOA as it goes in the authority section of a negative answer: TTL = min(TTL, MINIMUM) (RFC 2308 §3). */
  get negativeSoa(): ResourceRecord {
    return { ...this.soa, ttl: Math.min(this.soa.ttl, this.soa.data.minimum) };
  }
}

function dataKey(rr: ResourceRecord): string {
  return JSON.stringify(rr.data, (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v));
}

/**
 * Builds a zone from records. The origin is the SOA's owner unless given. Refuses, with the
 * record's position: no SOA or several, an SOA away from the apex, no NS at the apex, a record
 * outside the zone, a CNAME next to other data or several CNAMEs at one name, a record of
 * another class. Identical records collapse into one (RFC 2181 §5), and every set takes the TTL
 * of its first record (RFC 2181 §5.2).
 */
export function buildZone(
  records: readonly ResourceRecord[],
  sources: readonly RecordSource[] = [],
  originHint?: string,
): Zone {
  const where = (i: number) => sources[i] ?? { file: "", line: 0, column: 0 };
  const fail = (reason: string, i: number): never => {
    const s = where(i);
    throw new ZoneSyntaxError(reason, s.line, s.column, s.file);
  };
  const soaIndex = records.findIndex((r) => r.type === RecordType.SOA);
  if (soaIndex < 0) fail("the zone has no SOA record", 0);
  const soa = records[soaIndex] as ResourceRecord & { data: SoaData };
  const origin = originHint === undefined ? nameKey(soa.name) : nameKey(originHint);
  if (nameKey(soa.name) !== origin)
    fail(`the SOA is at ${soa.name}, not at the zone apex ${origin}`, soaIndex);
  const tree = new ZoneTree<ResourceRecord>(origin);
  const kept: ResourceRecord[] = [];
  const seen = new Set<string>();
  records.forEach((rr, i) => {
    const key = nameKey(rr.name);
    if (!isSubdomain(key, origin)) fail(`${rr.name} is outside the zone ${origin}`, i);
    if (rr.class !== soa.class) fail("the record's class differs from the SOA's", i);
    if (rr.type === RecordType.SOA && i !== soaIndex) fail("a second SOA record", i);
    const id = `${key} ${rr.type} ${dataKey(rr)}`;
    if (seen.has(id)) return;
    seen.add(id);
    const node = tree.node(key);
    const hasCname = node?.rrsets.has(RecordType.CNAME) ?? false;
    const hasOther = node ? [...node.rrsets.keys()].some((t) => t !== RecordType.CNAME) : false;
    if (rr.type === RecordType.CNAME ? hasCname || hasOther : hasCname) {
      fail(`${rr.name} has a CNAME and other data (RFC 1034 §3.6.2)`, i);
    }
    const set = node?.rrsets.get(rr.type);
    const first = set?.[0];
    const record = first && first.ttl !== rr.ttl ? { ...rr, ttl: first.ttl } : rr;
    tree.add(key, record);
    kept.push(record);
  });
  if (!tree.apex.rrsets.has(RecordType.NS))
    fail(`the zone ${origin} has no NS record at its apex`, soaIndex);
  // SOA first, as AXFR sends it.
  const ordered = [soa, ...kept.filter((r) => r !== soa)];
  return new Zone(origin, tree, soa, ordered);
}
