// The failed-login throttle against a real server on loopback: 1,000 parallel guesses on one name
// over 1,000 connections, and password spraying across names from one address.
import { afterEach, describe, expect, test } from "bun:test";
import { BBS_DEFAULTS, type BbsServer, startBbsServer } from "../src/index.ts";
import { FAST_ARGON2, RawClient } from "./helpers.ts";

const THROTTLED = /^error: too many failed logins, retry in \d+ s$/;

let server: BbsServer | undefined;
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.stop();
  server = undefined;
});

/** `n` sessions under `name(i)`, opened 100 at a time; each has read its banner. */
async function sessions(port: number, n: number, name: (i: number) => string) {
  const out: RawClient[] = [];
  for (let i = 0; i < n; i += 100) {
    const batch = Array.from({ length: Math.min(100, n - i) }, (_, k) =>
      RawClient.session(port, name(i + k)),
    );
    out.push(...(await Promise.all(batch)));
  }
  clients.push(...out);
  return out;
}

/** Sends `login` + password on every session at once; each reply with its latency in ms. */
async function loginAll(all: RawClient[], password: (i: number) => string) {
  const started = performance.now();
  for (const [i, c] of all.entries()) c.send("login", password(i));
  return await Promise.all(
    all.map(async (c) => {
      const reply = await c.next(20_000);
      return { reply, ms: performance.now() - started };
    }),
  );
}

describe("login throttle on loopback", () => {
  test("1,000 parallel guesses on one name: 5 passwords verified, 995 refused without waiting for them", async () => {
    // When the server answered each attempt (its log), to show refusals do not wait for argon2.
    const answered: { reason: string; ms: number }[] = [];
    server = await startBbsServer({
      port: 0,
      dbPath: ":memory:",
      maxConnectionsPerAddress: 0,
      // A costlier argon2id than the default (~190 ms a verification here instead of ~27 ms), so
      // "refused at once" is measurable against a verification.
      argon2MemoryKiB: 64 * 1024,
      argon2TimeCost: 3,
      log: (e) => {
        if (e.event === "login.fail")
          answered.push({ reason: String(e.reason), ms: performance.now() });
      },
    });
    const owner = await RawClient.session(server.port, "bob");
    clients.push(owner);
    owner.send("register", "bob's real password");
    expect(await owner.next()).toBe("ok");
    const guessers = await sessions(server.port, 1000, () => "bob");
    const started = performance.now();
    const replies = await loginAll(guessers, (i) => `guess number ${i}`);

    const stats = server.board.accounts.stats;
    expect(stats.passwordsVerified).toBe(BBS_DEFAULTS.maxFailuresPerName);
    expect(stats.loginsThrottled).toBe(995);
    expect(replies.filter((r) => r.reply === "error: wrong password")).toHaveLength(5);
    expect(replies.filter((r) => THROTTLED.test(r.reply))).toHaveLength(995);
    // Server side: all 995 refusals were sent before the first of the 5 verifications ended.
    expect(answered).toHaveLength(1000);
    expect(answered.slice(0, 995).every((a) => THROTTLED.test(`error: ${a.reason}`))).toBe(true);
    expect(answered.slice(995).map((a) => a.reason)).toEqual(Array(5).fill("wrong password"));
    const lastRefusalMs = (answered[994]?.ms ?? 0) - started;
    const firstVerifiedMs = (answered[995]?.ms ?? 0) - started;
    expect(lastRefusalMs).toBeLessThan(firstVerifiedMs);
    // the name stays locked, for the right password too, and nothing more is verified
    owner.send("login", "bob's real password");
    expect(await owner.next()).toMatch(THROTTLED);
    expect(stats.passwordsVerified).toBe(5);
  }, 60_000);

  test("spraying 60 names in parallel from one address: 20 verified, the rest refused", async () => {
    server = await startBbsServer({
      port: 0,
      dbPath: ":memory:",
      maxConnectionsPerAddress: 0,
      ...FAST_ARGON2,
    });
    const port = server.port;
    const owners = await sessions(port, 60, (i) => `user${i}`);
    for (const [i, c] of owners.entries()) c.send("register", `user${i} password`);
    for (const c of owners) expect(await c.next()).toBe("ok");

    const sprayers = await sessions(port, 60, (i) => `user${i}`);
    const replies = await loginAll(sprayers, () => "Winter2026!");
    const stats = server.board.accounts.stats;
    expect(stats.passwordsVerified).toBe(BBS_DEFAULTS.maxFailuresPerAddress);
    expect(replies.filter((r) => r.reply === "error: wrong password")).toHaveLength(20);
    expect(replies.filter((r) => THROTTLED.test(r.reply))).toHaveLength(40);
    // the address is locked for names it has not tried yet, even with the right password
    owners[0]?.send("login", "user0 password");
    expect(await owners[0]?.next()).toMatch(THROTTLED);
  }, 30_000);
});
