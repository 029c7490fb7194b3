// connectWebSocket(): a ws:// or wss:// client on framing's connect(): the opening handshake
// (RFC 6455 §4.1), then the same session as the server's, in the client role (masked frames).
import { bytes, type ConnectionOptions, connect } from "@netkit/framing";
import { createKey } from "./accept-key.ts";
import { checkUpgradeResponse, encodeUpgradeRequest } from "./client-handshake.ts";
import type { DeflateOptions } from "./deflate-negotiation.ts";
import { WebSocketError } from "./errors.ts";
import { ResponseHeadReader } from "./response-head.ts";
import { type SessionOptions, WebSocketSession } from "./session.ts";

/** connectWebSocket's options: the session's, plus the handshake's and the transport's. */
export interface ClientOptions
  extends Omit<SessionOptions, "role" | "deflate" | "protocol">,
    Partial<Pick<ConnectionOptions, "maxQueuedBytes" | "sendTimeoutMs" | "messageTimeoutMs">> {
  /** Subprotocols to offer, best first. */
  protocols?: readonly string[];
  /** Offer permessage-deflate (true: with the defaults). @default false */
  deflate?: boolean | DeflateOptions;
  /** Sent as Origin. */
  origin?: string;
  /** More request headers. */
  headers?: readonly (readonly [string, string])[];
  /** wss://: PEM of the CA (or self-signed certificate) to trust instead of the system's. */
  ca?: string;
  /** wss://: the name the certificate must carry. @default the URL's host */
  serverName?: string;
  /** @default 10000 */
  connectTimeoutMs?: number;
  /** The 101 must arrive within this long of connecting. @default 10000 */
  handshakeTimeoutMs?: number;
}

/**
 * Opens a WebSocket: resolves with the session once the server's 101 checked out; rejects with
 * WebSocketError HANDSHAKE_FAILED (a refusal, a wrong Sec-WebSocket-Accept, an extension or
 * subprotocol we did not offer), TlsError, or the connect error (ECONNREFUSED, ETIMEDOUT).
 */
export async function connectWebSocket(
  url: string | URL,
  options: ClientOptions = {},
): Promise<WebSocketSession> {
  const target = new URL(url);
  const secure = target.protocol === "wss:" || target.protocol === "https:";
  if (!secure && target.protocol !== "ws:" && target.protocol !== "http:") {
    throw new TypeError(`not a WebSocket URL: ${target.href}`);
  }
  if (target.hash !== "") throw new TypeError("a WebSocket URL has no fragment (RFC 6455 §3)");
  const port = target.port === "" ? (secure ? 443 : 80) : Number(target.port);
  const hostname = target.hostname.replace(/^\[(.*)\]$/, "$1"); // IPv6 literals come bracketed
  const key = createKey();
  const deflate: DeflateOptions | false =
    options.deflate === true
      ? {}
      : options.deflate === false || options.deflate === undefined
        ? false
        : options.deflate;

  let onBytes: (chunk: Uint8Array) => void = () => {};
  const connection = await connect({
    hostname,
    port,
    protocol: bytes(),
    ...(secure
      ? {
          tls: {
            ...(options.ca === undefined ? {} : { ca: options.ca }),
            ...(options.serverName === undefined ? {} : { serverName: options.serverName }),
          },
        }
      : {}),
    ...(options.connectTimeoutMs === undefined
      ? {}
      : { connectTimeoutMs: options.connectTimeoutMs }),
    ...(options.maxQueuedBytes === undefined ? {} : { maxQueuedBytes: options.maxQueuedBytes }),
    ...(options.sendTimeoutMs === undefined ? {} : { sendTimeoutMs: options.sendTimeoutMs }),
    ...(options.messageTimeoutMs === undefined
      ? {}
      : { messageTimeoutMs: options.messageTimeoutMs }),
    onMessage: (_connection, chunk) => onBytes(chunk),
  });

  return new Promise<WebSocketSession>((resolve, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      onBytes = () => {};
      connection.destroy(error);
      reject(error);
    };
    const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
    const timer = setTimeout(
      () => fail(new WebSocketError("HANDSHAKE_FAILED", `no 101 within ${handshakeTimeoutMs} ms`)),
      handshakeTimeoutMs,
    );
    void connection.closed.then(({ error }) => {
      fail(
        error ?? new WebSocketError("HANDSHAKE_FAILED", "the server closed during the handshake"),
      );
    });
    const reader = new ResponseHeadReader();
    onBytes = (chunk) => {
      let done: ReturnType<ResponseHeadReader["push"]>;
      let agreement: ReturnType<typeof checkUpgradeResponse>;
      try {
        done = reader.push(chunk);
        connection.reportPartialInput(reader.bufferedBytes);
        if (!done) return;
        agreement = checkUpgradeResponse(done.head, { key, protocols: options.protocols, deflate });
      } catch (error) {
        fail(error as Error);
        return;
      }
      settled = true;
      clearTimeout(timer);
      connection.reportPartialInput(0);
      const session = new WebSocketSession(connection, {
        ...options,
        role: "client",
        deflate: agreement.deflate,
        protocol: agreement.protocol,
      });
      onBytes = (next) => session.receive(next);
      resolve(session);
      if (done.rest.length > 0) session.receive(done.rest);
    };
    const path = `${target.pathname || "/"}${target.search}`;
    connection.sendBytes(
      new TextEncoder().encode(
        encodeUpgradeRequest({
          host: target.host, // with :port unless it is the scheme's default
          path,
          key,
          deflate,
          ...(options.protocols ? { protocols: options.protocols } : {}),
          ...(options.origin === undefined ? {} : { origin: options.origin }),
          ...(options.headers ? { headers: options.headers } : {}),
        }),
      ),
    );
  });
}
