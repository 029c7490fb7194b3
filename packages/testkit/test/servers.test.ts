// The test servers really start, serve, restart and stop.
import { afterAll, expect, test } from "bun:test";
import { RedisClient, SQL } from "bun";
import { havePostgres, haveRedis, startPostgres, startRedis } from "../src/index.ts";

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

test.skipIf(!haveRedis())(
  "redis-server starts, answers, survives kill + restart",
  async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const client = new RedisClient(redis.url);
    await client.set("k", "v");
    expect(await client.get("k")).toBe("v");
    client.close();
    await redis.kill();
    await redis.restart();
    const again = new RedisClient(redis.url);
    expect(await again.get("k")).toBeNull(); // no persistence: a fresh server
    again.close();
  },
  30_000,
);

test.skipIf(!havePostgres())(
  "PostgreSQL starts in a temp dir and runs queries",
  async () => {
    const pg = await startPostgres();
    cleanups.push(() => pg.stop());
    const url = await pg.createDatabase("kit_test");
    const db = new SQL(url);
    const [row] = await db`SELECT 40 + 2 AS answer`;
    expect(row.answer).toBe(42);
    await db.close();
  },
  60_000,
);
