// A zone's names as a tree keyed by name: closest encloser, wildcards (RFC 4592) and zone cuts (RFC 1034 §4.3.2).
import { isSubdomain, nameKey, parentKey, splitLabels } from "./name.ts";

/** The record sets at one name, by type. A node without sets is an empty non-terminal. */
export interface ZoneNode<R> {
  /** The name's key (lower case, absolute). */
  key: string;
  rrsets: Map<number, R[]>;
}

/** What the tree holds for a query name. */
export type TreeMatch<R> =
  /** The name exists (possibly as an empty non-terminal). */
  | { kind: "exact"; node: ZoneNode<R> }
  /** The name doesn't exist, but `*.<closest encloser>` does (RFC 4592 §3.3.1). */
  | { kind: "wildcard"; node: ZoneNode<R>; closestEncloser: ZoneNode<R> }
  /** The name is at or below a zone cut (a non-apex node with NS). */
  | { kind: "delegation"; cut: ZoneNode<R> }
  /** Neither the name nor a wildcard covering it exist. */
  | { kind: "nxdomain"; closestEncloser: ZoneNode<R> }
  /** The name is not in this zone at all. */
  | { kind: "outside" };

const NS = 2;
const DS = 43;

export class ZoneTree<R extends { type: number }> {
  readonly origin: string;
  readonly #nodes = new Map<string, ZoneNode<R>>();

  constructor(origin: string) {
    this.origin = nameKey(origin);
    this.#nodes.set(this.origin, { key: this.origin, rrsets: new Map() });
  }

  get apex(): ZoneNode<R> {
    return this.#nodes.get(this.origin) as ZoneNode<R>;
  }

  get size(): number {
    return this.#nodes.size;
  }

  /** Every node, apex first, each parent before its children. */
  nodes(): ZoneNode<R>[] {
    return [...this.#nodes.values()].sort(
      (a, b) => splitLabels(a.key).length - splitLabels(b.key).length,
    );
  }

  node(key: string): ZoneNode<R> | undefined {
    return this.#nodes.get(key);
  }

  /** Adds a record at `key` (already a key, in this zone), creating empty non-terminals above it. */
  add(key: string, record: R): void {
    if (!isSubdomain(key, this.origin)) throw new RangeError(`${key} is outside ${this.origin}`);
    let node = this.#nodes.get(key);
    if (!node) {
      node = { key, rrsets: new Map() };
      this.#nodes.set(key, node);
      for (let up = parentKey(key); up !== null && !this.#nodes.has(up); up = parentKey(up)) {
        this.#nodes.set(up, { key: up, rrsets: new Map() });
      }
    }
    const set = node.rrsets.get(record.type);
    if (set) set.push(record);
    else node.rrsets.set(record.type, [record]);
  }

  /**
   * Finds what answers `key` for `qtype`: walks down from the apex, stopping at the first zone
   * cut (except a DS query at the cut itself, which the parent side answers, RFC 4035 §3.1.4.1),
   * then takes the exact node, else the wildcard at the closest encloser.
   */
  match(key: string, qtype: number): TreeMatch<R> {
    if (!isSubdomain(key, this.origin)) return { kind: "outside" };
    const labels = splitLabels(key);
    const depth = splitLabels(this.origin).length;
    let closest = this.apex;
    for (let i = labels.length - depth - 1; i >= 0; i--) {
      const k = `${labels.slice(i).join(".")}.`;
      const node = this.#nodes.get(k);
      if (!node) break;
      closest = node;
      if (node.rrsets.has(NS) && !(i === 0 && qtype === DS))
        return { kind: "delegation", cut: node };
    }
    if (closest.key === key) return { kind: "exact", node: closest };
    const wildcard = this.#nodes.get(closest.key === "." ? "*." : `*.${closest.key}`);
    if (wildcard) return { kind: "wildcard", node: wildcard, closestEncloser: closest };
    return { kind: "nxdomain", closestEncloser: closest };
  }
}
