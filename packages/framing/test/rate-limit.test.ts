import { describe, expect, test } from "bun:test";
import { RateLimiter, TokenBucket } from "../src/rate-limit.ts";

describe("TokenBucket", () => {
  test("a burst, then the sustained rate", () => {
    const bucket = new TokenBucket(10, 5, 0);
    const burst = Array.from({ length: 12 }, () => bucket.take(0));
    expect(burst.filter(Boolean)).toHaveLength(10);
    expect(bucket.take(100)).toBe(false); // 0.5 token
    expect(bucket.waitMs(100)).toBe(100);
    expect(bucket.take(200)).toBe(true); // 0.5 + 0.5
    expect(bucket.take(200)).toBe(false);
    expect(bucket.take(10_000)).toBe(true); // refilled, capped at the burst
    let ok = 0;
    for (let i = 0; i < 20; i++) if (bucket.take(10_000)) ok++;
    expect(ok).toBe(9);
  });

  test("0 turns it off", () => {
    const bucket = new TokenBucket(0, 5, 0);
    for (let i = 0; i < 1000; i++) expect(bucket.take(0)).toBe(true);
  });
});

describe("RateLimiter", () => {
  test("each key has its own bucket, and a refusal says when to retry", () => {
    const limiter = new RateLimiter(3, 10);
    for (let i = 0; i < 3; i++) expect(limiter.take("a", 0)).toEqual({ allowed: true });
    expect(limiter.take("a", 0)).toEqual({ allowed: false, retryAfterMs: 100 });
    expect(limiter.take("b", 0)).toEqual({ allowed: true });
    expect(limiter.take("a", 100)).toEqual({ allowed: true });
  });

  test("full buckets are forgotten, and a spray of new keys past maxKeys is refused", () => {
    const limiter = new RateLimiter(2, 10, 100);
    for (let i = 0; i < 100; i++) expect(limiter.take(`10.0.0.${i}`, 0).allowed).toBe(true);
    expect(limiter.take("10.0.1.1", 0).allowed).toBe(false);
    expect(limiter.size).toBe(100);
    // 2 tokens at 10/s refill in 200 ms; the next sweep (after a second) forgets them all
    expect(limiter.take("10.0.1.1", 1000).allowed).toBe(true);
    expect(limiter.size).toBe(1);
  });
});
