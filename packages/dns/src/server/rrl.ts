// Response rate limiting for UDP answers (the scheme of NSD's and BIND's RRL, keyed on the client's network).
// A spoofed query makes us send its answer to the victim: up to 19× the query's bytes (33× with EDNS).
// Capping answers per client network caps what one victim receives; TC replies (slip) let a real
// client behind that network still get its answer over TCP, which can't be spoofed.

/** What to do with one UDP answer. */
export const RrlAction = {
  /** Under the rate: send the answer. */
  ANSWER: 0,
  /** Over the rate, and this one slips through: send it empty with TC so the client retries over TCP. */
  SLIP: 1,
  /** Over the rate: send nothing. */
  DROP: 2,
} as const;
export type RrlAction = (typeof RrlAction)[keyof typeof RrlAction];

export interface RateLimiterOptions {
  /** Answers per second per network; over it, answers slip or drop. */
  perSecond: number;
  /** Every `slip`-th answer over the rate goes out truncated, the rest are dropped; 0 = drop all. */
  slip: number;
  /** Buckets in the table (one per network seen lately); a colliding network takes the bucket over. */
  buckets: number;
  /** IPv4 networks are /ipv4PrefixBits. @default 24 */
  ipv4PrefixBits?: number;
  /** IPv6 networks are /ipv6PrefixBits (at most 64). @default 64 */
  ipv6PrefixBits?: number;
}

const FAMILY_IPV4 = 4;
const FAMILY_IPV6 = 6;

/**
 * Counts answers per client network and per second in a fixed table of buckets, so memory is
 * `buckets` × 21 bytes however many addresses (spoofed or not) send queries: a new network
 * evicts whatever held its slot, as in NSD (rrl-size). Eviction can only let answers through
 * that would have been limited; it never limits a network that stayed under the rate.
 */
export class RateLimiter {
  readonly perSecond: number;
  readonly slip: number;
  readonly buckets: number;
  readonly #ipv4Mask: number;
  readonly #ipv6HiMask: number;
  readonly #ipv6LoMask: number;
  readonly #family: Uint8Array;
  readonly #hi: Uint32Array;
  readonly #lo: Uint32Array;
  readonly #second: Uint32Array;
  /** Answers counted in `#second` (the ones withheld included). */
  readonly #count: Uint32Array;
  /** Random per limiter, so which networks share a bucket can't be planned from outside. */
  readonly #seed = (Math.random() * 0x100000000) >>> 0;
  /** Scratch for the parsed address, to avoid an object per query. */
  #keyHi = 0;
  #keyLo = 0;

  constructor(options: RateLimiterOptions) {
    const { perSecond, slip, buckets } = options;
    const v4 = options.ipv4PrefixBits ?? 24;
    const v6 = options.ipv6PrefixBits ?? 64;
    if (!Number.isInteger(perSecond) || perSecond < 1)
      throw new RangeError(`bad rrl perSecond: ${perSecond}`);
    if (!Number.isInteger(slip) || slip < 0 || slip > 100)
      throw new RangeError(`bad rrl slip: ${slip} (0..100)`);
    if (!Number.isInteger(buckets) || buckets < 1 || buckets > 1 << 24)
      throw new RangeError(`bad rrl buckets: ${buckets} (1..16777216)`);
    if (!Number.isInteger(v4) || v4 < 0 || v4 > 32)
      throw new RangeError(`bad ipv4PrefixBits: ${v4}`);
    if (!Number.isInteger(v6) || v6 < 0 || v6 > 64)
      throw new RangeError(`bad ipv6PrefixBits: ${v6}`);
    this.perSecond = perSecond;
    this.slip = slip;
    this.buckets = buckets;
    this.#ipv4Mask = v4 === 0 ? 0 : (0xffffffff << (32 - v4)) >>> 0;
    this.#ipv6HiMask = v6 === 0 ? 0 : v6 >= 32 ? 0xffffffff : (0xffffffff << (32 - v6)) >>> 0;
    this.#ipv6LoMask = v6 <= 32 ? 0 : v6 === 64 ? 0xffffffff : (0xffffffff << (64 - v6)) >>> 0;
    this.#family = new Uint8Array(buckets);
    this.#hi = new Uint32Array(buckets);
    this.#lo = new Uint32Array(buckets);
    this.#second = new Uint32Array(buckets);
    this.#count = new Uint32Array(buckets);
  }

  /** Counts one answer to `address` at `nowSeconds` and says whether to send it. */
  check(address: string, nowSeconds: number): RrlAction {
    const family = this.#parse(address);
    const hi = this.#keyHi;
    const lo = this.#keyLo;
    const i = hashKey(family, hi, lo, this.#seed) % this.buckets;
    const now = nowSeconds >>> 0;
    if (
      this.#family[i] !== family ||
      this.#hi[i] !== hi ||
      this.#lo[i] !== lo ||
      this.#second[i] !== now
    ) {
      // Another network, or a new second: this bucket starts over (a fixed one-second window).
      this.#family[i] = family;
      this.#hi[i] = hi;
      this.#lo[i] = lo;
      this.#second[i] = now;
      this.#count[i] = 1;
      return RrlAction.ANSWER;
    }
    const n = this.#count[i]! + 1;
    if (n < 0xffffffff) this.#count[i] = n;
    if (n <= this.perSecond) return RrlAction.ANSWER;
    // NSD slips at random with chance 1/slip; counting makes it exact and the tests deterministic.
    return this.slip > 0 && (n - this.perSecond) % this.slip === 0
      ? RrlAction.SLIP
      : RrlAction.DROP;
  }

  /** Parses `address` into #keyHi/#keyLo (masked to its network); returns its family. */
  #parse(address: string): number {
    if (!address.includes(":")) {
      this.#keyHi = (ipv4Number(address, 0) & this.#ipv4Mask) >>> 0;
      this.#keyLo = 0;
      return FAMILY_IPV4;
    }
    const zone = address.indexOf("%");
    const text = zone < 0 ? address : address.slice(0, zone);
    const groups = ipv6Groups(text);
    // An IPv4-mapped address (::ffff:a.b.c.d, from a dual-stack socket) is an IPv4 client.
    if (
      groups[0] === 0 &&
      groups[1] === 0 &&
      groups[2] === 0 &&
      groups[3] === 0 &&
      groups[4] === 0 &&
      groups[5] === 0xffff
    ) {
      this.#keyHi = ((((groups[6]! << 16) | groups[7]!) >>> 0) & this.#ipv4Mask) >>> 0;
      this.#keyLo = 0;
      return FAMILY_IPV4;
    }
    this.#keyHi = ((((groups[0]! << 16) | groups[1]!) >>> 0) & this.#ipv6HiMask) >>> 0;
    this.#keyLo = ((((groups[2]! << 16) | groups[3]!) >>> 0) & this.#ipv6LoMask) >>> 0;
    return FAMILY_IPV6;
  }
}

/** a.b.c.d from `start` as a 32-bit number (what the socket reports is well-formed). */
function ipv4Number(text: string, start: number): number {
  let value = 0;
  let octet = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      value = (value << 8) | (octet & 0xff);
      octet = 0;
    } else {
      octet = octet * 10 + (c - 0x30);
    }
  }
  return ((value << 8) | (octet & 0xff)) >>> 0;
}

/** The eight 16-bit groups of an IPv6 address in text form (RFC 4291 §2.2, `::` and a dotted tail). */
function ipv6Groups(text: string): number[] {
  const parse = (part: string): number[] => {
    if (part === "") return [];
    const out: number[] = [];
    for (const g of part.split(":")) {
      if (g.includes(".")) {
        const v4 = ipv4Number(g, 0);
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        out.push(Number.parseInt(g, 16) & 0xffff);
      }
    }
    return out;
  };
  const gap = text.indexOf("::");
  if (gap < 0) return parse(text);
  const head = parse(text.slice(0, gap));
  const tail = parse(text.slice(gap + 2));
  const zeros = Math.max(0, 8 - head.length - tail.length);
  return [...head, ...new Array<number>(zeros).fill(0), ...tail];
}

/** A 32-bit mix of the network (murmur3's finalizer over the words). */
function hashKey(family: number, hi: number, lo: number, seed: number): number {
  let h = Math.imul(seed ^ family ^ hi, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h ^ lo, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
