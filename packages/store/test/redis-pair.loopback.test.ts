// RedisPair against a real redis-server on loopback: publish/subscribe across two pairs, a Redis
// restart (one onDown per outage, then onUp again), Redis down at start.
// Needs redis-server; under CI a missing one fails, locally the file skips.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { haveRedis, startRedis, type TestRedis } from "@netkit/testkit";
import { RedisPair, type RedisPairOptions } from "../src/index.ts";

const enabled = haveRedis();
const maybe = enabled ? describe : describe.skip;
let redis: TestRedis;
const pairs: RedisPair[] = [];

beforeAll(async () => {
  if (enabled) redis = await startRedis();
});

afterAll(async () => {
  await Promise.all(pairs.map((p) => p.stop()));
  await redis?.stop();
});

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error("timed out");
    await Bun.sleep(10);
  }
}

function pair(channel: string, url = redis.url, extra: Partial<RedisPairOptions> = {}) {
  const got: string[] = [];
  const events: string[] = [];
  const p = new RedisPair({
    url,
    reconnectMinMs: 20,
    reconnectMaxMs: 200,
    prepare: (c) => c.subscriber.subscribe(channel, (m) => void got.push(m)).then(() => {}),
    onUp: (_, reconnect) => void events.push(reconnect ? "up again" : "up"),
    onDown: (_, { wasUp }) => void events.push(wasUp ? "lost" : "unavailable"),
    ...extra,
  });
  pairs.push(p);
  return { p, got, events };
}

maybe("RedisPair", () => {
  test("a message published by one pair reaches the other's subscriber", async () => {
    const a = pair("t1");
    const b = pair("t1");
    await Promise.all([a.p.start(), b.p.start()]);
    expect(a.p.connected && b.p.connected).toBe(true);
    await a.p.publisher?.publish("t1", "hello");
    await until(() => b.got.length > 0);
    expect(b.got).toEqual(["hello"]);
  });

  test("a Redis restart: one onDown for the outage, then up again and subscribed again", async () => {
    const a = pair("t2");
    const b = pair("t2");
    await Promise.all([a.p.start(), b.p.start()]);
    await redis.kill();
    await until(() => !a.p.connected && !b.p.connected);
    await Bun.sleep(500); // several failed attempts, none of them reported
    await redis.restart();
    await until(() => a.p.connected && b.p.connected);
    expect(a.events).toEqual(["up", "lost", "up again"]);
    await a.p.publisher?.publish("t2", "back");
    await until(() => b.got.includes("back"));
  }, 20_000);

  test("Redis down at start: start() does not throw, onDown once, up when it comes", async () => {
    const stale = await startRedis();
    const url = stale.url;
    await stale.kill();
    const a = pair("t3", url);
    await a.p.start();
    expect(a.p.connected).toBe(false);
    await Bun.sleep(300);
    expect(a.events).toEqual(["unavailable"]);
    await stale.restart();
    await until(() => a.p.connected);
    expect(a.events).toEqual(["unavailable", "up"]);
    await a.p.stop();
    await stale.stop();
  }, 20_000);

  test("lost() from a client of an older pair changes nothing; from the current one, reconnects", async () => {
    const a = pair("t4");
    await a.p.start();
    const old = a.p.publisher!;
    a.p.lost(new Error("x"));
    expect(a.p.connected).toBe(false);
    await until(() => a.p.connected);
    a.p.lost(new Error("stale"), old);
    expect(a.p.connected).toBe(true);
    expect(a.events).toEqual(["up", "lost", "up again"]);
  });
});
