// The netkit chat server as the bench runs it: flood limit off, per-address cap raised.
// CHAT_REDIS_URL (+ CHAT_REDIS_ROOM) makes it one instance of a room shared through Redis.
import { startChatServer } from "../src/server.ts";

const redisUrl = process.env.CHAT_REDIS_URL;
const server = await startChatServer({
  port: 0,
  floodBurst: 0,
  maxConnectionsPerAddress: 100_000,
  maxConnections: 100_000,
  coalesceMs: process.env.CHAT_COALESCE_MS ? Number(process.env.CHAT_COALESCE_MS) : undefined,
  redis: redisUrl ? { url: redisUrl, room: process.env.CHAT_REDIS_ROOM } : undefined,
});
await server.redis?.waitConnected(10_000);
console.log(server.port);
process.on("SIGTERM", () => {
  void server.stop().finally(() => process.exit(0));
});
