// The chat as a Fetch handler: the page, POST /chat, GET /messages with long polling, and GET /ws
// (WebSocket: messages pushed as they are stored, posts accepted over the socket).

import { RateLimiter } from "@netkit/framing";
import type { ClientInfo } from "@netkit/http";
import {
  acceptWebSocket,
  type DeflateOptions,
  type MessageData,
  type WebSocketSession,
} from "@netkit/websocket";
import { type Asset, loadPageAssets } from "../assets.ts";
import { WebChatError } from "../errors.ts";
import type { ChatMessage, ChatStorage } from "../store/types.ts";
import { crossOriginRefusal } from "./cross-origin.ts";
import { LiveFeed } from "./live-feed.ts";
import {
  headerKey,
  isRefusal,
  MAX_NAME_CHARS,
  MAX_TEXT_CHARS,
  validatePost,
} from "./post-input.ts";
import { withSecurityHeaders } from "./security-headers.ts";
import { readUtf8Body } from "./text-rules.ts";

/** The limits the chat routes apply (text and name lengths, page size, long-poll wait). */
export const CHAT_LIMITS = {
  /** Unicode code points per message text. */
  maxTextChars: MAX_TEXT_CHARS,
  /** Code points per display name. */
  maxNameChars: MAX_NAME_CHARS,
  /** Messages per /messages reply. */
  maxMessagesPerReply: 100,
  /** Longest `wait` a client may ask for, in seconds. */
  maxWaitSeconds: 30,
  /**
   * How often waiting long polls re-check the store for messages committed by other instances or
   * processes (the safety net when an announcement is missed or Redis is down; it also covers
   * several processes on one SQLite file). One query per period for all waiting polls.
   */
  recheckMs: 1000,
  /**
   * Posts per second from one address, after a burst: a person types far slower, a page that
   * reconnects and resends a few queued messages fits in the burst, a script flooding the room
   * gets 429 with Retry-After. 0 = no limit.
   */
  postsPerSecond: 10,
  postBurst: 20,
  /**
   * One WebSocket message from a client (a post): 2000 code points are at most 8 KB of UTF-8,
   * or 12 KB written as JSON `\uXXXX` escapes; 64 KiB as for a POST body.
   */
  maxSocketMessageBytes: 64 * 1024,
  /**
   * Unsent bytes past which a socket gets no more pushes; once drained it catches up from the
   * store. About 200 long messages: a browser tab that is merely busy never gets there.
   */
  maxSocketLagBytes: 256 * 1024,
} as const;

/** Options of `createChatApp`. */
export interface ChatAppOptions {
  /** Called after a message is committed here (e.g. to announce it to other instances). */
  onCommitted?(id: number): void;
  /** @default CHAT_LIMITS.recheckMs */
  recheckMs?: number;
  /** Posts per second per client address after `postBurst`; 0 = no limit. @default 10 */
  postsPerSecond?: number;
  /** @default 20 */
  postBurst?: number;
  /** Serve GET /ws (WebSocket); false answers it 404, so pages fall back to long polling. @default true */
  webSocket?: boolean;
  /** @default CHAT_LIMITS.maxSocketLagBytes */
  maxSocketLagBytes?: number;
  /** WebSocket keepalive ping interval (0 = off). @default 30000 */
  socketPingIntervalMs?: number;
  /** Agree to permessage-deflate on /ws when the client offers it (SOCKET_DEFLATE). @default true */
  socketCompression?: boolean;
}

/**
 * permessage-deflate on /ws (RFC 7692), agreed with every client that offers it (browsers do),
 * without context takeover either way: a socket keeps no compression state between messages (no
 * 32 KiB window per direction per socket, which a chat's short messages would gain little from),
 * and a pushed message is compressed once for every socket instead of once per socket (the same
 * bytes are valid on each). A client's message is inflated only up to maxSocketMessageBytes: past
 * it the socket is closed with 1009, however small the compressed frame was.
 */
export const SOCKET_DEFLATE: DeflateOptions = {
  serverNoContextTakeover: true,
  clientNoContextTakeover: true,
};

/** The chat routes as a Fetch handler, plus `notify` for commits made elsewhere and `close`. */
export interface ChatApp {
  /** Answers one request; `client` (from the HTTP server) keys the per-address post limit. */
  fetch(request: Request, client?: ClientInfo): Promise<Response>;
  /** Message `id` exists (announced by another instance): wakes the long polls behind it. */
  notify(id: number): void;
  /** Open WebSocket connections on /ws. */
  readonly socketCount: number;
  /** Answers every waiting long poll (with nothing new) and closes every socket (1001) so the server can stop. */
  close(): void;
}

/** An answer to a post: the HTTP status, the JSON body and extra headers. */
interface PostOutcome {
  status: number;
  body: object;
  headers?: Record<string, string>;
}

/** The `code` of an error frame on /ws whose HTTP answer has none (a malformed post: a 400). */
const SOCKET_ERROR_CODE = "BAD_REQUEST";

interface Waiter {
  since: number;
  wake(): void;
}

const JSON_HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
};

function json(status: number, value: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(value), { status, headers: { ...JSON_HEADERS, ...headers } });
}

function methodNotAllowed(allow: string): Response {
  return json(405, { error: "method not allowed" }, { allow });
}

/** The reply for a storage failure: 503 with a JSON error, so a client knows to retry. */
function storageFailure(error: unknown): Response {
  if (error instanceof WebChatError) {
    return json(error.status, { error: error.message, code: error.code }, { "retry-after": "1" });
  }
  return json(503, { error: "storage unavailable", code: "STORAGE_UNAVAILABLE" });
}

/** Builds the chat's Fetch handler over a message store. */
export function createChatApp(store: ChatStorage, options: ChatAppOptions = {}): ChatApp {
  const waiters = new Set<Waiter>();
  let assets: Promise<Map<string, Asset>> | undefined;
  let closed = false;
  const recheckMs = options.recheckMs ?? CHAT_LIMITS.recheckMs;
  let recheck: ReturnType<typeof setInterval> | undefined;
  let rechecking = false;
  const postLimit = new RateLimiter(
    options.postBurst ?? CHAT_LIMITS.postBurst,
    options.postsPerSecond ?? CHAT_LIMITS.postsPerSecond,
  );
  const webSocket = options.webSocket ?? true;
  const socketCompression = options.socketCompression ?? true;
  const maxSocketLagBytes = options.maxSocketLagBytes ?? CHAT_LIMITS.maxSocketLagBytes;
  if (!Number.isInteger(maxSocketLagBytes) || maxSocketLagBytes < 0) {
    throw new RangeError(`bad maxSocketLagBytes: ${maxSocketLagBytes}`);
  }
  const feed = new LiveFeed(store, { maxLagBytes: maxSocketLagBytes });

  function wakeUpTo(id: number): void {
    for (const waiter of waiters) if (waiter.since < id) waiter.wake();
    feed.notify(id);
  }

  /** One store query per period for all waiting long polls, only while some are waiting. */
  function startRecheck(): void {
    if (recheck !== undefined) return;
    recheck = setInterval(() => {
      if (waiters.size === 0 && feed.size === 0) {
        clearInterval(recheck);
        recheck = undefined;
        return;
      }
      if (rechecking) return;
      rechecking = true;
      store
        .latestId()
        .then(wakeUpTo, () => {
          // store down: the polls end at their wait and their read reports it
        })
        .finally(() => {
          rechecking = false;
        });
    }, recheckMs);
  }

  function serveAsset(request: Request, asset: Asset): Response {
    const headers = {
      "content-type": asset.contentType,
      etag: asset.etag,
      "cache-control": "no-cache",
    };
    const match = request.headers.get("if-none-match");
    if (match?.split(",").some((tag) => tag.trim() === asset.etag || tag.trim() === "*")) {
      return new Response(null, { status: 304, headers });
    }
    // For HEAD the server sends the head only, with the Content-Length a GET would have.
    return new Response(asset.body, { headers });
  }

  /**
   * What POST /chat answers for a body, and what /ws answers for a text frame. A post whose key
   * is stored already gets the same answer as the first time (the id stored then).
   */
  async function storePost(body: string, key?: string): Promise<PostOutcome> {
    let input: unknown;
    try {
      input = JSON.parse(body);
    } catch {
      return { status: 400, body: { error: "body is not valid JSON" } };
    }
    const post = validatePost(input, key);
    if (isRefusal(post)) return { status: 400, body: post };
    let message: ChatMessage;
    try {
      message = await store.add(post.name, post.text, post.key);
    } catch (error) {
      if (error instanceof WebChatError) {
        const body = { error: error.message, code: error.code };
        return { status: error.status, body, headers: { "retry-after": "1" } };
      }
      return { status: 503, body: { error: "storage unavailable", code: "STORAGE_UNAVAILABLE" } };
    }
    wakeUpTo(message.id);
    options.onCommitted?.(message.id);
    return { status: 201, body: { id: message.id } };
  }

  async function postChat(request: Request): Promise<Response> {
    const key = headerKey(request.headers.get("idempotency-key"));
    if (typeof key === "object") return json(400, key);
    const body = await readUtf8Body(request);
    if (typeof body !== "string") return json(400, body);
    const outcome = await storePost(body, key);
    return json(outcome.status, outcome.body, outcome.headers);
  }

  async function getMessages(url: URL): Promise<Response> {
    const sinceText = url.searchParams.get("since") ?? "0";
    const waitText = url.searchParams.get("wait") ?? "0";
    if (!/^\d{1,15}$/.test(sinceText)) return json(400, { error: "since must be a message id" });
    if (!/^\d{1,2}(\.\d+)?$/.test(waitText) || Number(waitText) > CHAT_LIMITS.maxWaitSeconds) {
      return json(400, { error: `wait must be 0..${CHAT_LIMITS.maxWaitSeconds} seconds` });
    }
    const since = Number(sinceText);
    try {
      return json(200, await readMessages(since, Number(waitText) * 1000));
    } catch (error) {
      return storageFailure(error);
    }
  }

  async function readMessages(since: number, waitMs: number): Promise<ChatMessage[]> {
    let messages = await store.since(since, CHAT_LIMITS.maxMessagesPerReply);
    if (messages.length === 0 && waitMs > 0 && !closed) {
      await new Promise<void>((resolve) => {
        const waiter: Waiter = {
          since,
          wake() {
            clearTimeout(timer);
            waiters.delete(waiter);
            resolve();
          },
        };
        const timer = setTimeout(() => waiter.wake(), waitMs);
        waiters.add(waiter);
        startRecheck();
      });
      if (!closed) messages = await store.since(since, CHAT_LIMITS.maxMessagesPerReply);
    }
    return messages;
  }

  /** 429 with Retry-After (whole seconds, at least 1) when this address posts too fast. */
  function postLimitRefusal(address: string): PostOutcome | undefined {
    const decision = postLimit.take(address, Date.now());
    if (decision.allowed) return undefined;
    const retryAfter = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    return {
      status: 429,
      body: { error: "too many messages: slow down", code: "RATE_LIMITED", retryAfter },
      headers: { "retry-after": String(retryAfter) },
    };
  }

  function overPostLimit(client: ClientInfo | undefined): Response | undefined {
    const refusal = postLimitRefusal(client?.address ?? "");
    return refusal && json(refusal.status, refusal.body, refusal.headers);
  }

  /**
   * GET /ws?since=ID: the WebSocket handshake, then the live feed (see live-feed.ts). Text frames
   * from the client are posts, answered `{"posted": id}` or `{"error", "code"}`; one at a time per
   * socket (the connection is held while one commits), with the same rate limit as POST /chat.
   */
  function openSocket(request: Request, url: URL, address: string): Response {
    const sinceText = url.searchParams.get("since");
    if (sinceText !== null && !/^\d{1,15}$/.test(sinceText)) {
      return json(400, { error: "since must be a message id" });
    }
    const since = sinceText === null ? undefined : Number(sinceText);
    const inbox: MessageData[] = [];
    let posting = false;

    async function drain(session: WebSocketSession): Promise<void> {
      posting = true;
      session.connection.hold(); // no more input while posts wait: backpressure on the sender
      while (inbox.length > 0 && session.readyState === "open") {
        const data = inbox.shift() as MessageData;
        const outcome =
          typeof data !== "string"
            ? { status: 400, body: { error: "send posts as text frames holding JSON" } }
            : (postLimitRefusal(address) ?? (await storePost(data)));
        const reply: object =
          outcome.status === 201
            ? { posted: (outcome.body as { id: number }).id }
            : { code: SOCKET_ERROR_CODE, ...outcome.body };
        session.send(JSON.stringify(reply));
      }
      posting = false;
      session.connection.proceed();
    }

    return acceptWebSocket(request, {
      deflate: socketCompression ? SOCKET_DEFLATE : false,
      // After decompression: a compressed post inflates no further than this (then 1009).
      maxMessageBytes: CHAT_LIMITS.maxSocketMessageBytes,
      maxFrameBytes: CHAT_LIMITS.maxSocketMessageBytes,
      ...(options.socketPingIntervalMs !== undefined
        ? { pingIntervalMs: options.socketPingIntervalMs }
        : {}),
      onOpen: (session) => {
        feed.open(session, since);
        startRecheck();
      },
      onMessage: (session, data) => {
        inbox.push(data);
        if (!posting) void drain(session);
      },
    });
  }

  async function route(request: Request, client: ClientInfo | undefined): Promise<Response> {
    const url = new URL(request.url);
    const method = request.method;
    const isRead = method === "GET" || method === "HEAD";
    // A WebSocket handshake is a GET, but browsers let any page open one (no CORS): the socket
    // carries posts, so it gets the cross-origin rule of POST /chat.
    const isSocket = url.pathname === "/ws" && webSocket;
    const refusal = crossOriginRefusal(request, isSocket);
    if (refusal) return json(403, { error: refusal, code: "CROSS_ORIGIN" });
    switch (url.pathname) {
      case "/chat":
        if (method !== "POST") return methodNotAllowed("POST");
        return overPostLimit(client) ?? postChat(request);
      case "/messages":
        return isRead ? getMessages(url) : methodNotAllowed("GET, HEAD");
      case "/ws":
        if (!webSocket) break;
        if (method !== "GET") return methodNotAllowed("GET");
        return openSocket(request, url, client?.address ?? "");
      case "/favicon.ico":
        // No icon, said once a day per browser instead of a 404 on every page load (nginx's idiom).
        return new Response(null, { status: 204, headers: { "cache-control": "max-age=86400" } });
    }
    assets ??= loadPageAssets();
    const asset = (await assets).get(url.pathname);
    if (!asset) return json(404, { error: "not found" });
    return isRead ? serveAsset(request, asset) : methodNotAllowed("GET, HEAD");
  }

  return {
    fetch: (request, client) => route(request, client).then(withSecurityHeaders),
    notify: wakeUpTo,
    get socketCount() {
      return feed.size;
    },
    close() {
      closed = true;
      feed.close();
      clearInterval(recheck);
      recheck = undefined;
      for (const waiter of waiters) waiter.wake();
    },
  };
}
