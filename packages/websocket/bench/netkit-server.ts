// The fan-out room on our stack, as the bench runs it: @netkit/http's server, acceptWebSocket, and
// every message encoded once (encodeFrame) and handed to every session with sendFrame. Prints its
// port, stops on SIGTERM.
import { startHttpServer } from "@netkit/http";
import { encodeFrame, FrameOpcode } from "../src/codec.ts";
import { acceptWebSocket, type WebSocketSession } from "../src/index.ts";

const sessions = new Set<WebSocketSession>();
const encoder = new TextEncoder();
const server = await startHttpServer({
  port: 0,
  maxConnections: 100_000,
  maxConnectionsPerAddress: 0, // every bench client comes from 127.0.0.1
  fetch: (request) =>
    acceptWebSocket(request, {
      onOpen: (session) => sessions.add(session),
      onClose: (session) => sessions.delete(session),
      onMessage: (_from, data) => {
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
