// A test echo server: framing's listen() in bytes() mode, a minimal HTTP upgrade parser (tests only;
// the real one belongs to @netkit/http) and the package's handshake and session. Every message is
// sent back as it came (text as text, binary as binary).
import { bytes, type Connection, type ListenOptions, listen } from "@netkit/framing";
import { negotiateUpgrade, type UpgradeOptions } from "../src/server-handshake.ts";
import { type SessionOptions, WebSocketSession } from "../src/session.ts";

export interface EchoServerOptions {
  upgrade?: UpgradeOptions;
  session?: Omit<SessionOptions, "role" | "deflate" | "protocol">;
  connection?: Partial<ListenOptions<Uint8Array, Uint8Array | string>>;
  /** Instead of echoing. */
  onMessage?: SessionOptions["onMessage"];
}

export interface EchoServer {
  port: number;
  tlsPort: number | undefined;
  sessions: Set<WebSocketSession>;
  stop(): Promise<void>;
}

const latin1 = new TextDecoder("latin1");

export function startEchoServer(options: EchoServerOptions = {}): EchoServer {
  const sessions = new Set<WebSocketSession>();
  const pending = new Map<Connection<Uint8Array, Uint8Array | string>, Uint8Array>();
  const upgraded = new Map<Connection<Uint8Array, Uint8Array | string>, WebSocketSession>();
  const server = listen<Uint8Array, Uint8Array | string>({
    port: 0,
    protocol: bytes(),
    ...options.connection,
    onMessage(connection, chunk) {
      const session = upgraded.get(connection);
      if (session) {
        session.receive(chunk);
        return;
      }
      const before = pending.get(connection) ?? new Uint8Array(0);
      const buffered = new Uint8Array(before.length + chunk.length);
      buffered.set(before);
      buffered.set(chunk, before.length);
      const end = latin1.decode(buffered).indexOf("\r\n\r\n");
      if (end < 0) {
        if (buffered.length > 16384)
          connection.close("HTTP/1.1 431 Too Large\r\nConnection: close\r\n\r\n");
        else pending.set(connection, buffered);
        connection.reportPartialInput(buffered.length);
        return;
      }
      pending.delete(connection);
      connection.reportPartialInput(0);
      const [requestLine = "", ...lines] = latin1.decode(buffered.subarray(0, end)).split("\r\n");
      const [method = "", , version = ""] = requestLine.split(" ");
      const headers = lines.map((line): [string, string] => {
        const colon = line.indexOf(":");
        return [line.slice(0, colon), line.slice(colon + 1).trim()];
      });
      const decision = negotiateUpgrade(
        { method, versionMinor: version === "HTTP/1.1" ? 1 : 0, headers },
        options.upgrade,
      );
      if (!decision.ok) {
        connection.close(decision.response);
        return;
      }
      connection.sendBytes(new TextEncoder().encode(decision.response));
      const created = new WebSocketSession(connection, {
        pingIntervalMs: 0,
        ...options.session,
        role: "server",
        deflate: decision.deflate,
        protocol: decision.protocol,
        onMessage: options.onMessage ?? ((s, data) => s.send(data)),
        onClose: (s) => sessions.delete(s),
      });
      upgraded.set(connection, created);
      sessions.add(created);
      const rest = buffered.subarray(end + 4);
      if (rest.length > 0) created.receive(rest);
    },
    onClose(connection) {
      pending.delete(connection);
      upgraded.delete(connection);
    },
  });
  return { port: server.port, tlsPort: server.tlsPort, sessions, stop: () => server.stop() };
}
