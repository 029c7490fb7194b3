// Token bucket for the per-client flood limit: a burst of `burst` lines, then `perSecond` lines/s.

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

  /** Takes one token if there is one; false means the line is over the limit. */
  take(nowMs: number): boolean {
    if (!this.enabled) return true;
    const elapsedMs = Math.max(0, nowMs - this.#lastMs);
    this.#lastMs = nowMs;
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsedMs * this.perSecond) / 1000);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
