// The fan-out room on our stack, as the bench runs it: @netkit/http's server, acceptWebSocket, and
// a WebSocketRoom (each message framed once; a busy room's peers get several messages per write).
// WS_BENCH_NETKIT=sendframe instead hands the frame to every session with sendFrame (one write
// per peer per message, the room's comparison). Prints its port, stops on SIGTERM.
import { startHttpServer } from "@netkit/http";
import { encodeFrame, FrameOpcode } from "../src/codec.ts";
import { acceptWebSocket, WebSocketRoom, type WebSocketSession } from "../src/index.ts";

const mode = process.env.WS_BENCH_NETKIT ?? "room";
const coalesceMs = process.env.WS_BENCH_COALESCE_MS;
const room = new WebSocketRoom(coalesceMs === undefined ? {} : { coalesceMs: Number(coalesceMs) });
const sessions = new Set<WebSocketSession>();
const encoder = new TextEncoder();
const server = await startHttpServer({
  port: 0,
  maxConnections: 100_000,
  maxConnectionsPerAddress: 0, // every bench client comes from 127.0.0.1
  fetch: (request) =>
    acceptWebSocket(request, {
      onOpen: (session) => {
        if (mode === "room") room.add(session);
        else sessions.add(session);
      },
      onClose: (session) => sessions.delete(session),
      onMessage: (_from, data) => {
        if (mode === "room") {
          room.publish(data);
          return;
        }
        const frame =
          typeof data === "string"
            ? encodeFrame(FrameOpcode.TEXT, encoder.encode(data))
            : encodeFrame(FrameOpcode.BINARY, data);
        for (const session of sessions) session.sendFrame(frame);
      },
    }),
});
console.log(server.port);
process.on("SIGTERM", () => {
  void server.stop().finally(() => process.exit(0));
});
