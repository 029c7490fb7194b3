// The server side on @netkit/http: a Fetch handler answers a WebSocket handshake with
// acceptWebSocket(request, …), and the connection leaves HTTP for a WebSocketSession on the same
// framing Connection (its limits, deadlines and TLS carry on).
import { switchProtocols } from "@netkit/http";
import { negotiateUpgrade, type UpgradeOptions } from "./server-handshake.ts";
import { type SessionOptions, WebSocketSession } from "./session.ts";

/** The handshake's choices and the session's limits and callbacks. */
export interface AcceptOptions
  extends UpgradeOptions,
    Omit<SessionOptions, "role" | "deflate" | "protocol"> {
  /** The session, once the 101 is written (send to it from here on). */
  onOpen?: (session: WebSocketSession) => void;
}

/**
 * Answers a request to @netkit/http's server that asks for a WebSocket: the 101 that hands the
 * connection to a new server-side WebSocketSession, or the refusal the handshake calls for
 * (400, 403 from `checkOrigin`, 405, or 426 with `Sec-WebSocket-Version: 13`), after which the
 * connection stays HTTP.
 */
export function acceptWebSocket(request: Request, options: AcceptOptions = {}): Response {
  const headers: [string, string][] = [];
  request.headers.forEach((value, name) => {
    headers.push([name, value]);
  });
  // A Request has no HTTP version; @netkit/http's parser only lets 1.1 requests keep an Upgrade.
  const decision = negotiateUpgrade({ method: request.method, versionMinor: 1, headers }, options);
  if (!decision.ok) {
    return new Response(`${decision.message}\n`, {
      status: decision.status,
      headers: [...decision.headers, ["content-type", "text/plain; charset=utf-8"]],
    });
  }
  const { onOpen, protocols: _p, deflate: _d, checkOrigin: _c, ...sessionOptions } = options;
  return switchProtocols(decision.response, (connection) => {
    const session = new WebSocketSession(connection, {
      ...sessionOptions,
      role: "server",
      deflate: decision.deflate,
      protocol: decision.protocol,
    });
    onOpen?.(session);
    return { onData: (chunk) => session.receive(chunk) };
  });
}
