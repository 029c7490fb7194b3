// The chat as a Fetch handler: the page, POST /chat, GET /messages with long polling.

import { RateLimiter } from "@netkit/framing";
import type { ClientInfo } from "@netkit/http";
import { type Asset, loadPageAssets } from "../assets.ts";
import { WebChatError } from "../errors.ts";
import type { ChatMessage, ChatStorage } from "../store/types.ts";
import { crossOriginRefusal } from "./cross-origin.ts";
import { withSecurityHeaders } from "./security-headers.ts";
import { postRefusal, readUtf8Body } from "./text-rules.ts";

/** The limits the chat routes apply (text and name lengths, page size, long-poll wait). */
export const CHAT_LIMITS = {
  /** Unicode code points per message text. */
  maxTextChars: 2000,
  /** Code points per display name. */
  maxNameChars: 50,
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
}

/** The chat routes as a Fetch handler, plus `notify` for commits made elsewhere and `close`. */
export interface ChatApp {
  /** Answers one request; `client` (from the HTTP server) keys the per-address post limit. */
  fetch(request: Request, client?: ClientInfo): Promise<Response>;
  /** Message `id` exists (announced by another instance): wakes the long polls behind it. */
  notify(id: number): void;
  /** Answers every waiting long poll (with nothing new) so the server can stop. */
  close(): void;
}

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

function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
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

  function wakeUpTo(id: number): void {
    for (const waiter of waiters) if (waiter.since < id) waiter.wake();
  }

  /** One store query per period for all waiting long polls, only while some are waiting. */
  function startRecheck(): void {
    if (recheck !== undefined) return;
    recheck = setInterval(() => {
      if (waiters.size === 0) {
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

  async function postChat(request: Request): Promise<Response> {
    const body = await readUtf8Body(request);
    if (typeof body !== "string") return json(400, body);
    let input: unknown;
    try {
      input = JSON.parse(body);
    } catch {
      return json(400, { error: "body is not valid JSON" });
    }
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      return json(400, { error: "body must be a JSON object" });
    }
    const { text, name } = input as { text?: unknown; name?: unknown };
    if (typeof text !== "string" || text.trim() === "") {
      return json(400, { error: "text must be a non-empty string" });
    }
    if (codePoints(text) > CHAT_LIMITS.maxTextChars) {
      return json(400, { error: `text is over ${CHAT_LIMITS.maxTextChars} characters` });
    }
    if (name !== undefined && typeof name !== "string") {
      return json(400, { error: "name must be a string" });
    }
    // Only spaces and tabs are trimmed: a BOM or NBSP is refused below, not silently dropped.
    const cleanName = name?.replace(/^[ \t]+|[ \t]+$/g, "") || "anonymous";
    if (codePoints(cleanName) > CHAT_LIMITS.maxNameChars) {
      return json(400, { error: `name is over ${CHAT_LIMITS.maxNameChars} characters` });
    }
    // The shared text policy (NUL included: neither SQLite nor PostgreSQL text keeps it).
    const refused = postRefusal(cleanName, text);
    if (refused) return json(400, refused);
    let message: ChatMessage;
    try {
      message = await store.add(cleanName, text);
    } catch (error) {
      return storageFailure(error);
    }
    wakeUpTo(message.id);
    options.onCommitted?.(message.id);
    return json(201, { id: message.id });
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
  function overPostLimit(client: ClientInfo | undefined): Response | undefined {
    const decision = postLimit.take(client?.address ?? "", Date.now());
    if (decision.allowed) return undefined;
    const retryAfter = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    return json(
      429,
      { error: "too many messages: slow down", code: "RATE_LIMITED" },
      { "retry-after": String(retryAfter) },
    );
  }

  async function route(request: Request, client: ClientInfo | undefined): Promise<Response> {
    const url = new URL(request.url);
    const method = request.method;
    const isRead = method === "GET" || method === "HEAD";
    const refusal = crossOriginRefusal(request);
    if (refusal) return json(403, { error: refusal, code: "CROSS_ORIGIN" });
    switch (url.pathname) {
      case "/chat":
        if (method !== "POST") return methodNotAllowed("POST");
        return overPostLimit(client) ?? postChat(request);
      case "/messages":
        return isRead ? getMessages(url) : methodNotAllowed("GET, HEAD");
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
    close() {
      closed = true;
      clearInterval(recheck);
      recheck = undefined;
      for (const waiter of waiters) waiter.wake();
    },
  };
}
