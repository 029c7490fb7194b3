// The failed-login throttle (a real SQLite store, an injected clock), Accounts.login under
// parallel guessing and across a reopen, and the input rules.
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { Accounts, BBS_DEFAULTS, BbsStore } from "../src/index.ts";
import { addressKey, LoginThrottle } from "../src/throttle.ts";
import { passwordProblem, textProblem, usernameProblem } from "../src/validate.ts";
import { FAST_ARGON2, tempDir } from "./helpers.ts";

/** A throttle over a real in-memory SQLite store, with a clock the test moves. */
function throttle(options: ConstructorParameters<typeof LoginThrottle>[1] = {}) {
  const clock = { now: 1_000_000 };
  const store = new BbsStore({ path: ":memory:" });
  stores.push(store);
  return { clock, store, t: new LoginThrottle(store, { now: () => clock.now, ...options }) };
}

const stores: BbsStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

/** Reserves an attempt and lets it fail (a wrong password leaves the reservation counted). */
async function fail(t: LoginThrottle, name: string, address: string): Promise<number> {
  return (await t.begin(name, address)).attemptId;
}

describe("LoginThrottle", () => {
  test("blocks a name after its failures, until the oldest leaves the window", async () => {
    const { clock, t } = throttle({
      maxFailuresPerName: 3,
      maxFailuresPerAddress: 100,
      failureWindowMs: 60_000,
    });
    for (let i = 0; i < 3; i++) {
      expect(await fail(t, "bob", "10.0.0.1")).toBeGreaterThan(0);
      clock.now += 1000;
    }
    expect(await t.begin("bob", "10.0.0.2")).toEqual({ attemptId: 0, retryAfterMs: 60_000 - 3000 });
    expect(await fail(t, "ann", "10.0.0.1")).toBeGreaterThan(0);
    clock.now += 57_000;
    expect(await fail(t, "bob", "10.0.0.1")).toBeGreaterThan(0);
  });

  test("attempts in flight count: the reservation is made before the password is checked", async () => {
    const { t } = throttle({ maxFailuresPerName: 5 });
    const reservations = [];
    for (let i = 0; i < 8; i++) reservations.push(await t.begin("bob", `10.0.0.${i}`));
    expect(reservations.map((r) => r.attemptId > 0)).toEqual([
      ...Array(5).fill(true),
      ...Array(3).fill(false),
    ]);
  });

  test("blocks an address across names (password spraying)", async () => {
    const { clock, t } = throttle({
      maxFailuresPerName: 100,
      maxFailuresPerAddress: 2,
      failureWindowMs: 10_000,
    });
    await fail(t, "x", "10.0.0.1");
    await fail(t, "y", "10.0.0.1");
    expect(await t.begin("z", "10.0.0.1")).toEqual({ attemptId: 0, retryAfterMs: 10_000 });
    expect(await fail(t, "z", "10.0.0.2")).toBeGreaterThan(0);
    clock.now += 10_000;
    expect(await fail(t, "z", "10.0.0.1")).toBeGreaterThan(0);
  });

  test("a success forgives the name's failures but not the address's", async () => {
    const { t } = throttle({ maxFailuresPerName: 2, maxFailuresPerAddress: 3 });
    await fail(t, "bob", "10.0.0.1");
    const good = await t.begin("bob", "10.0.0.1");
    await t.succeeded(good, "bob");
    // bob's failure is forgiven and the success itself was no failure: 2 more allowed on bob
    expect(await fail(t, "bob", "10.0.0.2")).toBeGreaterThan(0);
    expect(await fail(t, "bob", "10.0.0.2")).toBeGreaterThan(0);
    // 10.0.0.1 keeps its failure on bob: 2 more names, then refused
    expect(await fail(t, "cy", "10.0.0.1")).toBeGreaterThan(0);
    expect(await fail(t, "dee", "10.0.0.1")).toBeGreaterThan(0);
    expect((await t.begin("eve", "10.0.0.1")).attemptId).toBe(0);
  });

  test("IPv6 addresses of one /64 share their count; IPv4-mapped is IPv4", async () => {
    const { t } = throttle({ maxFailuresPerName: 100, maxFailuresPerAddress: 2 });
    await fail(t, "a", "2001:db8:1:2::1");
    await fail(t, "b", "2001:db8:1:2:ffff:ffff:ffff:ffff");
    expect((await t.begin("c", "2001:db8:1:2:abcd::9")).attemptId).toBe(0);
    expect(await fail(t, "c", "2001:db8:1:3::1")).toBeGreaterThan(0);
    await fail(t, "d", "::ffff:192.0.2.7");
    await fail(t, "e", "192.0.2.7");
    expect((await t.begin("f", "192.0.2.7")).attemptId).toBe(0);
  });

  test.each([
    ["192.0.2.1", "192.0.2.1"],
    ["::ffff:192.0.2.1", "192.0.2.1"],
    ["2001:DB8::1", "2001:db8:0:0::/64"],
    ["2001:db8:a:b:c:d:e:f", "2001:db8:a:b::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["64:ff9b::192.0.2.1", "64:ff9b:0:0::/64"],
  ])("addressKey(%j) is %j", (address, key) => {
    expect(addressKey(address)).toBe(key);
  });

  test("bad limits are refused at construction", () => {
    const store = new BbsStore({ path: ":memory:" });
    stores.push(store);
    expect(() => new LoginThrottle(store, { maxFailuresPerName: 0 })).toThrow(RangeError);
    expect(() => new LoginThrottle(store, { failureWindowMs: 1.5 })).toThrow(/failureWindowMs/);
  });
});

describe("Accounts.login under parallel guessing", () => {
  const THROTTLED = /^too many failed logins, retry in \d+ s$/;

  test("1,000 parallel wrong guesses on one name verify 5 passwords; 995 are refused before any verification ends", async () => {
    const store = new BbsStore({ path: ":memory:" });
    stores.push(store);
    // The default argon2id cost: a verification takes milliseconds, a refusal does not.
    const accounts = new Accounts(store);
    expect(await accounts.register("bob", "bob's real password")).toEqual({ ok: true });
    const order: string[] = [];
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        accounts.login("bob", `guess number ${i}`, "10.0.0.1").then((r) => {
          order.push(r.ok ? "ok" : r.reason);
          return r;
        }),
      ),
    );
    expect(accounts.stats.passwordsVerified).toBe(BBS_DEFAULTS.maxFailuresPerName);
    expect(accounts.stats.loginsThrottled).toBe(995);
    expect(results.filter((r) => !r.ok && r.reason === "wrong password")).toHaveLength(5);
    // every refusal came back before the first verification finished
    expect(order.slice(0, 995).every((r) => THROTTLED.test(r))).toBe(true);
    expect(order.slice(995)).toEqual(Array(5).fill("wrong password"));
    // the right password is refused too while the name is locked
    expect(await accounts.login("bob", "bob's real password", "10.0.0.2")).toMatchObject({
      ok: false,
      reason: expect.stringMatching(THROTTLED),
    });
    expect(accounts.stats.passwordsVerified).toBe(5);
  });

  test("spraying 100 names × 3 guesses in parallel from one address verifies 20 passwords", async () => {
    const store = new BbsStore({ path: ":memory:" });
    stores.push(store);
    const accounts = new Accounts(store, FAST_ARGON2);
    const names = Array.from({ length: 100 }, (_, i) => `user${i}`);
    for (const n of names) await accounts.register(n, `${n} password`);
    const results = await Promise.all(
      names.flatMap((n) => [1, 2, 3].map((k) => accounts.login(n, `spray ${k}`, "198.51.100.9"))),
    );
    expect(accounts.stats.passwordsVerified).toBe(BBS_DEFAULTS.maxFailuresPerAddress);
    const refused = results.filter((r) => !r.ok && THROTTLED.test(r.reason));
    expect(refused).toHaveLength(300 - 20);
    // another address is not affected; the owner logs in
    expect(await accounts.login("user7", "user7 password", "203.0.113.1")).toEqual({ ok: true });
  });

  test("a lockout survives reopening the SQLite file (a restart)", async () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, "bbs.sqlite");
      const first = new BbsStore({ path });
      const a = new Accounts(first, FAST_ARGON2);
      await a.register("bob", "bob's real password");
      for (let i = 0; i < 5; i++) await a.login("bob", `guess ${i}`, "10.0.0.1");
      await first.close();
      const second = new BbsStore({ path });
      const b = new Accounts(second, FAST_ARGON2);
      const r = await b.login("bob", "bob's real password", "10.0.0.2");
      expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(THROTTLED) });
      expect(b.stats.passwordsVerified).toBe(0);
      await second.close();
    } finally {
      dir.remove();
    }
  });
});

describe("input rules", () => {
  test.each([
    ["a", null],
    ["x".repeat(32), null],
    ["日本語", null],
    ["", "username is empty"],
    ["x".repeat(33), "username longer than 32 characters"],
    ["a\u00a0b", "username contains U+00A0 NO-BREAK SPACE at 1"],
    ["a\u0085b", "username contains U+0085 NEXT LINE at 1"],
    ["line\nbreak", "username contains U+000A LINE FEED at 4"],
  ])("username %j", (name, problem) => {
    expect(usernameProblem(name)).toBe(problem);
  });

  test("texts: 4096 bytes counted in UTF-8, tab and newline allowed, other controls not", () => {
    expect(textProblem("é".repeat(2048))).toBeNull();
    expect(textProblem("é".repeat(2049))).toBe("text of 4098 bytes exceeds 4096");
    expect(textProblem("a\tb\nc")).toBeNull();
    expect(textProblem("a\rb")).toBe("text contains U+000D CARRIAGE RETURN at 1");
    expect(textProblem("\u007f")).toBe("text contains U+007F DELETE at 0");
  });

  test("passwords", () => {
    expect(passwordProblem("abcdefgh")).toBeNull();
    expect(passwordProblem("abc")).toMatch(/at least 8/);
    expect(passwordProblem("abababab")).toMatch(/distinct/);
    expect(passwordProblem("ab1".repeat(400))).toMatch(/longer than 1024/);
  });
});
