// Leaving HTTP on a connection (RFC 9110 §7.8 Upgrade, RFC 6455's handshake): a handler answers
// with switchProtocols(head, start), the server writes `head` and hands every later byte of the
// connection to what `start` returns. The socket stays framing's, with its limits and TLS.
import type { HttpConnection } from "./send-response.ts";

/** What runs a connection after it left HTTP. */
export interface ConnectionTakeover {
  /** Bytes from the peer, in order; the first call may carry bytes that came with the request. */
  onData(chunk: Uint8Array): void;
  /** The peer half-closed (the connection closes after this unless the takeover holds it). */
  onEnd?(): void;
  /** The connection is gone; `error` says why when it was not a clean close. */
  onClose?(error?: Error): void;
}

/** Called once the switching response is written: the connection is the takeover's from now on. */
export type TakeoverStart = (connection: HttpConnection) => ConnectionTakeover;

interface Switch {
  head: Uint8Array;
  start: TakeoverStart;
}

const switches = new WeakMap<Response, Switch>();

/**
 * The answer that makes the server leave HTTP: `head` is the complete response head to write
 * as is (a `101 Switching Protocols` with its Upgrade headers and the final CRLF), then `start`
 * gets the connection. Only an HTTP/1.1 request that asked to upgrade (a `Connection: upgrade`
 * and an `Upgrade` header, no body) can be taken over; for any other the server answers 500.
 */
export function switchProtocols(head: string | Uint8Array, start: TakeoverStart): Response {
  const response = new Response(null, { status: 101 });
  switches.set(response, {
    head: typeof head === "string" ? new TextEncoder().encode(head) : head,
    start,
  });
  return response;
}

/** @internal The switch a handler's response carries, if it is one. */
export function switchOf(response: Response): Switch | undefined {
  return switches.get(response);
}
