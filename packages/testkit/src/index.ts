// @netkit/testkit: real servers for tests (redis-server, PostgreSQL) on loopback, and port helpers.
export { freePort, haveTool, waitForPort } from "./ports.ts";
export { havePostgres, PG_BIN, startPostgres, type TestPostgres } from "./postgres.ts";
export { haveRedis, REDIS_SERVER, startRedis, type TestRedis } from "./redis.ts";
