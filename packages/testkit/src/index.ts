// @netkit/testkit: real servers for tests (redis-server, PostgreSQL) on loopback, port helpers,
// throwaway TLS certificates, raw clients from chosen 127.x source addresses; bench helpers (pinning, CPU time from /proc).
export {
  canPin,
  cpuTimes,
  firstLine,
  LatencySamples,
  loadAverage,
  paceSends,
  pinned,
} from "./bench.ts";
export {
  certificateSubject,
  makeTestCertificate,
  type TestCertificate,
} from "./certificates.ts";
export { prefixFrame, type RawFramedClient, rawFramedClient } from "./framed-client.ts";
export { hex } from "./hex.ts";
export { freePort, haveTool, waitForPort } from "./ports.ts";
export { havePostgres, PG_BIN, startPostgres, type TestPostgres } from "./postgres.ts";
export { prng } from "./prng.ts";
export { haveRedis, REDIS_SERVER, startRedis, type TestRedis } from "./redis.ts";
export { closedWithin, rawFrom, receivedText, whenClosed } from "./sockets.ts";
export { requireTool } from "./tools.ts";
