// The response rate limiter alone (src/server/rrl.ts): counts per network and second, slip, bounded table.
import { describe, expect, test } from "bun:test";
import { RateLimiter, RrlAction } from "../src/server/rrl.ts";

const { ANSWER, SLIP, DROP } = RrlAction;
const limiter = (perSecond: number, slip = 2, buckets = 1024) =>
  new RateLimiter({ perSecond, slip, buckets });
const run = (l: RateLimiter, address: string, n: number, second = 1000) =>
  Array.from({ length: n }, () => l.check(address, second));

describe("RateLimiter", () => {
  test("answers `perSecond`, then slip 2 alternates dropped and truncated", () => {
    const actions = run(limiter(3), "192.0.2.7", 9);
    expect(actions).toEqual([ANSWER, ANSWER, ANSWER, DROP, SLIP, DROP, SLIP, DROP, SLIP]);
  });

  test("slip 1 truncates every answer over the rate, slip 0 drops them all", () => {
    expect(run(limiter(1, 1), "192.0.2.7", 4)).toEqual([ANSWER, SLIP, SLIP, SLIP]);
    expect(run(limiter(1, 0), "192.0.2.7", 4)).toEqual([ANSWER, DROP, DROP, DROP]);
    expect(run(limiter(1, 3), "192.0.2.7", 7)).toEqual([
      ANSWER,
      DROP,
      DROP,
      SLIP,
      DROP,
      DROP,
      SLIP,
    ]);
  });

  test("a new second starts the count over", () => {
    const l = limiter(2);
    expect(run(l, "192.0.2.7", 3, 1000)).toEqual([ANSWER, ANSWER, DROP]);
    expect(run(l, "192.0.2.7", 3, 1001)).toEqual([ANSWER, ANSWER, DROP]);
    // Fractions of a second are the same second.
    expect(l.check("192.0.2.7", 1001.9)).toBe(SLIP);
  });

  test("one IPv4 /24 shares a count; the next /24 has its own", () => {
    const l = limiter(2);
    expect([l.check("192.0.2.1", 5), l.check("192.0.2.200", 5), l.check("192.0.2.9", 5)]).toEqual([
      ANSWER,
      ANSWER,
      DROP,
    ]);
    expect(run(l, "192.0.3.1", 2, 5)).toEqual([ANSWER, ANSWER]);
  });

  test("one IPv6 /64 shares a count, written in any form; IPv4-mapped counts as IPv4", () => {
    const l = limiter(2);
    expect([
      l.check("2001:db8:1:2::1", 5),
      l.check("2001:0db8:0001:0002:ffff:1:2:3", 5),
      l.check("2001:db8:1:2:0:0:0:9%eth0", 5),
    ]).toEqual([ANSWER, ANSWER, DROP]);
    expect(run(l, "2001:db8:1:3::1", 2, 5)).toEqual([ANSWER, ANSWER]);
    expect([
      l.check("10.1.2.3", 5),
      l.check("::ffff:10.1.2.77", 5),
      l.check("::ffff:a01:209", 5),
    ]).toEqual([ANSWER, ANSWER, DROP]);
    // ::1 and :: are networks like any other.
    expect(run(l, "::1", 3, 5)).toEqual([ANSWER, ANSWER, DROP]);
  });

  test("the table is bounded: networks past its size take buckets over, never limiting wrongly", () => {
    // One bucket: two networks alternating evict each other, so neither is ever limited.
    const one = limiter(1, 2, 1);
    const actions = Array.from({ length: 6 }, (_, i) => one.check(`198.51.${i % 2}.1`, 5));
    expect(actions).toEqual(Array(6).fill(ANSWER));
    // 100,000 networks through 256 buckets: every first answer of a network goes out.
    const small = limiter(1, 2, 256);
    let limited = 0;
    for (let i = 0; i < 100_000; i++)
      if (small.check(`10.${(i >> 8) & 255}.${i & 255}.1`, 5) !== ANSWER) limited++;
    expect(limited).toBe(0);
  });

  test.each([
    ["perSecond 0", { perSecond: 0, slip: 2, buckets: 1 }],
    ["a fractional slip", { perSecond: 1, slip: 1.5, buckets: 1 }],
    ["no buckets", { perSecond: 1, slip: 2, buckets: 0 }],
    ["an IPv6 prefix over 64", { perSecond: 1, slip: 2, buckets: 1, ipv6PrefixBits: 65 }],
  ])("refuses %s with a RangeError", (_, options) => {
    expect(() => new RateLimiter(options)).toThrow(RangeError);
  });
});
