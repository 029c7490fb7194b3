// The netkit chat server as the bench runs it: flood limit off, per-address cap raised.
import { serveChat } from "../src/server.ts";

const server = serveChat({
  port: 0,
  floodBurst: 0,
  maxConnectionsPerAddress: 100_000,
  maxConnections: 100_000,
  coalesceMs: process.env.CHAT_COALESCE_MS ? Number(process.env.CHAT_COALESCE_MS) : undefined,
});
console.log(server.port);
process.on("SIGTERM", () => {
  void server.stop().finally(() => process.exit(0));
});
