// A test echo server: @netkit/http's server answering every request with acceptWebSocket, so the
// conformance, hostile and interop suites run through the real HTTP upgrade path. Every message is
// sent back as it came (text as text, binary as binary).
import { type HttpServerOptions, startHttpServer } from "@netkit/http";
import { acceptWebSocket } from "../src/accept.ts";
import type { UpgradeOptions } from "../src/server-handshake.ts";
import type { SessionOptions, WebSocketSession } from "../src/session.ts";

export interface EchoServerOptions {
  upgrade?: UpgradeOptions;
  session?: Omit<SessionOptions, "role" | "deflate" | "protocol">;
  /** The HTTP server's limits (framing's, for the connection after the upgrade too) and TLS. */
  connection?: Partial<Omit<HttpServerOptions, "fetch">>;
  /** Instead of echoing. */
  onMessage?: SessionOptions["onMessage"];
}

export interface EchoServer {
  port: number;
  tlsPort: number | undefined;
  sessions: Set<WebSocketSession>;
  stop(): Promise<void>;
}

export async function startEchoServer(options: EchoServerOptions = {}): Promise<EchoServer> {
  const sessions = new Set<WebSocketSession>();
  const server = await startHttpServer({
    port: 0,
    ...options.connection,
    fetch: (request) =>
      acceptWebSocket(request, {
        pingIntervalMs: 0,
        ...options.upgrade,
        ...options.session,
        onMessage: options.onMessage ?? ((s, data) => s.send(data)),
        onOpen: (session) => sessions.add(session),
        onClose: (session) => sessions.delete(session),
      }),
  });
  return { port: server.port, tlsPort: server.tlsPort, sessions, stop: () => server.stop() };
}
