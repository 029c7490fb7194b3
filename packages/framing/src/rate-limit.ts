// Rate limits for what a peer asks of a service (lines, posts, logins): a token bucket, and one
// bucket per key (a source address) in a bounded map.

/** A burst of `burst` events, then `perSecond` events per second. */
export class TokenBucket {
  #tokens: number;
  #lastMs: number;

  /** `burst` 0 or `perSecond` 0 turns the limit off (every take succeeds). */
  constructor(
    readonly burst: number,
    readonly perSecond: number,
    nowMs: number,
  ) {
    this.#tokens = burst;
    this.#lastMs = nowMs;
  }

  get enabled(): boolean {
    return this.burst > 0 && this.perSecond > 0;
  }

  /** Takes one token if there is one; false means the event is over the limit. */
  take(nowMs: number): boolean {
    if (!this.enabled) return true;
    this.#refill(nowMs);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is there (0 if one is there now). */
  waitMs(nowMs: number): number {
    if (!this.enabled) return 0;
    this.#refill(nowMs);
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) * 1000) / this.perSecond);
  }

  /** True once the bucket is full again: forgetting it changes nothing. */
  isFull(nowMs: number): boolean {
    this.#refill(nowMs);
    return this.#tokens >= this.burst;
  }

  #refill(nowMs: number): void {
    const elapsedMs = Math.max(0, nowMs - this.#lastMs);
    this.#lastMs = nowMs;
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsedMs * this.perSecond) / 1000);
  }
}

/** What `RateLimiter.take` decided. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

/**
 * One token bucket per key (a source address). Full buckets are forgotten on a sweep, so memory
 * follows the keys active in the last `burst / perSecond` seconds. Past `maxKeys` a new key is
 * refused rather than letting a spray of addresses grow the map without bound.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, TokenBucket>();
  #lastSweepMs = 0;

  constructor(
    readonly burst: number,
    readonly perSecond: number,
    readonly maxKeys = 100_000,
  ) {}

  get enabled(): boolean {
    return this.burst > 0 && this.perSecond > 0;
  }

  /** Keys tracked now. */
  get size(): number {
    return this.#buckets.size;
  }

  take(key: string, nowMs: number): RateDecision {
    if (!this.enabled) return { allowed: true };
    if (nowMs - this.#lastSweepMs >= 1000) this.#sweep(nowMs);
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= this.maxKeys) return { allowed: false, retryAfterMs: 1000 };
      bucket = new TokenBucket(this.burst, this.perSecond, nowMs);
      this.#buckets.set(key, bucket);
    }
    if (bucket.take(nowMs)) return { allowed: true };
    return { allowed: false, retryAfterMs: bucket.waitMs(nowMs) };
  }

  #sweep(nowMs: number): void {
    this.#lastSweepMs = nowMs;
    for (const [key, bucket] of this.#buckets) if (bucket.isFull(nowMs)) this.#buckets.delete(key);
  }
}
