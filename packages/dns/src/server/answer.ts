// Authoritative answer logic (RFC 1034 §4.3.2, RFC 2308, RFC 4592, RFC 6604): zones + question -> sections.

import type { ResourceRecord } from "../codec/types.ts";
import { Rcode, RecordType } from "../constants.ts";
import { nameKey, parentKey } from "../zone/name.ts";
import type { Zone } from "../zone/zone.ts";

/** The sections and flags of an answer; the transport adds header, question and EDNS. */
export interface Answer {
  rcode: number;
  /** AA: clear only on referrals and refusals. */
  authoritative: boolean;
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
  /** The zone that answered, if any. */
  zone?: Zone;
}

/** CNAME hops followed inside a zone before giving up (a chain longer than this is a mistake). */
export const MAX_CNAME_HOPS = 8;

/** The zones a server serves, found by longest matching origin. */
export class ZoneSet {
  readonly #zones = new Map<string, Zone>();

  constructor(zones: Iterable<Zone> = []) {
    for (const z of zones) this.#zones.set(z.origin, z);
  }

  get size(): number {
    return this.#zones.size;
  }

  [Symbol.iterator](): IterableIterator<Zone> {
    return this.#zones.values();
  }

  get(origin: string): Zone | undefined {
    return this.#zones.get(nameKey(origin));
  }

  /** The zone whose origin is the longest suffix of `key` (a name key). */
  find(key: string): Zone | undefined {
    for (let k: string | null = key; k !== null; k = parentKey(k)) {
      const z = this.#zones.get(k);
      if (z) return z;
    }
    return undefined;
  }
}

function refused(): Answer {
  return {
    rcode: Rcode.REFUSED,
    authoritative: false,
    answers: [],
    authorities: [],
    additionals: [],
  };
}

/** A/AAAA records for `target` inside `zone`, glue below cuts included. */
function addressesOf(zone: Zone, target: string): ResourceRecord[] {
  const node = zone.tree.node(nameKey(target));
  if (!node) return [];
  return [...(node.rrsets.get(RecordType.A) ?? []), ...(node.rrsets.get(RecordType.AAAA) ?? [])];
}

function targetOf(rr: ResourceRecord): string | undefined {
  const d = rr.data as { target?: string; exchange?: string };
  if (rr.type === RecordType.NS || rr.type === RecordType.SRV) return d.target;
  if (rr.type === RecordType.MX) return d.exchange;
  return undefined;
}

/** Additional-section processing (RFC 1035 §3.3.9/§3.3.11, RFC 2782): addresses of NS/MX/SRV targets. */
function additionalFor(zone: Zone, records: ResourceRecord[]): ResourceRecord[] {
  const out: ResourceRecord[] = [];
  const done = new Set<string>();
  for (const rr of records) {
    const target = targetOf(rr);
    if (target === undefined) continue;
    const key = nameKey(target);
    if (done.has(key)) continue;
    done.add(key);
    out.push(...addressesOf(zone, target));
  }
  return out;
}

function withOwner(records: readonly ResourceRecord[], owner: string): ResourceRecord[] {
  return records.map((rr) => ({ ...rr, name: owner }) as ResourceRecord);
}

/**
 * Answers one question from the zones. `qname` is the name as the client wrote it (used as the
 * owner of wildcard-synthesized records). Returns REFUSED for a name in no zone or a class other
 * than the zone's; never recurses.
 */
export function answerQuestion(
  zones: ZoneSet,
  qname: string,
  qtype: number,
  qclass: number,
): Answer {
  const zone = zones.find(nameKey(qname));
  if (!zone) return refused();
  if (qclass !== zone.soa.class && qclass !== 255) return refused();
  const answers: ResourceRecord[] = [];
  const seen = new Set<string>();
  let name = qname;
  for (let hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
    const key = nameKey(name);
    seen.add(key);
    const m = zone.tree.match(key, qtype);
    if (m.kind === "outside") break; // a CNAME leaving the zone: the client follows it
    if (m.kind === "delegation") {
      const ns = m.cut.rrsets.get(RecordType.NS) ?? [];
      return {
        rcode: Rcode.NOERROR,
        // A referral is not authoritative; after an in-zone CNAME the answer part still is.
        authoritative: answers.length > 0,
        answers,
        authorities: [...ns],
        additionals: additionalFor(zone, ns),
        zone,
      };
    }
    if (m.kind === "nxdomain") {
      return {
        rcode: Rcode.NXDOMAIN,
        authoritative: true,
        answers,
        authorities: [zone.negativeSoa],
        additionals: [],
        zone,
      };
    }
    const node = m.node;
    const synthesize = (records: readonly ResourceRecord[]) =>
      m.kind === "wildcard" ? withOwner(records, name) : [...records];
    if (qtype === RecordType.ANY && node.rrsets.size > 0) {
      for (const set of node.rrsets.values()) answers.push(...synthesize(set));
      return {
        rcode: Rcode.NOERROR,
        authoritative: true,
        answers,
        authorities: [],
        additionals: [],
        zone,
      };
    }
    const set = node.rrsets.get(qtype);
    if (set) {
      const records = synthesize(set);
      answers.push(...records);
      return {
        rcode: Rcode.NOERROR,
        authoritative: true,
        answers,
        authorities: [],
        additionals: additionalFor(zone, records),
        zone,
      };
    }
    const cname = node.rrsets.get(RecordType.CNAME)?.[0];
    if (cname && qtype !== RecordType.CNAME) {
      answers.push(...synthesize([cname]));
      const target = (cname.data as { target: string }).target;
      if (seen.has(nameKey(target))) break; // a loop: stop with what we have
      name = target;
      continue;
    }
    return {
      rcode: Rcode.NOERROR,
      authoritative: true,
      answers,
      authorities: [zone.negativeSoa],
      additionals: [],
      zone,
    };
  }
  return {
    rcode: Rcode.NOERROR,
    authoritative: true,
    answers,
    authorities: [],
    additionals: [],
    zone,
  };
}

/**
 * The name service's view of the zones: the IPv4 address of `name` (an A record, following
 * CNAMEs inside the zone), or null.
 */
export function lookupAddress(zones: ZoneSet, name: string): string | null {
  const absolute = name.endsWith(".") ? name : `${name}.`;
  const answer = answerQuestion(zones, absolute, RecordType.A, 1);
  if (answer.rcode !== Rcode.NOERROR || !answer.authoritative) return null;
  const a = answer.answers.find((rr) => rr.type === RecordType.A);
  return a ? (a.data as { address: string }).address : null;
}

/** The `lookup` callback of startNameService, reading the zones current at each call. */
export function zoneLookup(zones: ZoneSet | (() => ZoneSet)): (name: string) => string | null {
  return (name) => {
    try {
      return lookupAddress(typeof zones === "function" ? zones() : zones, name);
    } catch {
      return null; // a name that isn't a valid domain name
    }
  };
}
