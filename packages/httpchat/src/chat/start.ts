// Starts the web chat: the HTTP server, the chat routes and the store, wired together.
// `startWebChatServer` runs on SQLite by default (embedded), and scales out with PostgreSQL as the
// shared store (`postgresUrl`) and Redis pub/sub to wake long polls across instances (`redisUrl`).
import type { ListenTlsOptions, Log, TlsCredentials } from "@netkit/framing";
import {
  HTTP_DEFAULTS,
  type HttpServer,
  type HttpServerOptions,
  startHttpServer,
} from "@netkit/http";
import { BUS_DEFAULTS, MessageBus } from "./bus.ts";
import { WebChatError } from "./errors.ts";
import { CHAT_LIMITS, createChatApp } from "./routes/app.ts";
import { PostgresMessageStore } from "./store/postgres.ts";
import { MessageStore } from "./store/sqlite.ts";
import type { ChatStorage } from "./store/types.ts";

/** What `startWebChatServer` uses for an option left out (`--help` shows these). */
export const HTTPCHAT_DEFAULTS = {
  hostname: HTTP_DEFAULTS.hostname,
  port: 8888,
  /** HTTPS beside the plain port when a certificate is given (443 in production). */
  tlsPort: 8443,
  dbPath: "./data/httpchat.sqlite",
  /** A chat message is at most 2000 code points (8 KB of UTF-8) plus JSON; 64 KiB is ample. */
  maxBodyBytes: 64 * 1024,
  /** Redis channel for "message N exists". */
  redisChannel: BUS_DEFAULTS.channel,
  /** Waiting long polls re-check the store this often (safety net for missed announcements). */
  recheckMs: CHAT_LIMITS.recheckMs,
} as const;

/** Options of `startWebChatServer`; each one left out takes its value from `HTTPCHAT_DEFAULTS`. */
export interface WebChatServerOptions
  extends Omit<HttpServerOptions, "fetch" | "hostname" | "port" | "maxBodyBytes" | "log" | "tls"> {
  /** @default "127.0.0.1" */
  hostname?: string;
  /** @default 8888 */
  port?: number;
  /** Also serve HTTPS with this certificate and key (PEM), on `tls.port` (default 8443). */
  tls?: Omit<ListenTlsOptions, "port"> & { port?: number };
  /** SQLite file (its folder is created); ":memory:" keeps nothing. @default "./data/httpchat.sqlite" */
  dbPath?: string;
  /** @default 65536 */
  maxBodyBytes?: number;
  /** Posts per second from one address after `postBurst` (then 429); 0 = no limit. @default 10 */
  postsPerSecond?: number;
  /** @default 20 */
  postBurst?: number;
  log?: Log;
  /** Store messages in this PostgreSQL database instead of SQLite (`dbPath` is then unused). */
  postgresUrl?: string;
  /** Announce and hear "message N exists" through this Redis (needs `postgresUrl`). */
  redisUrl?: string;
  /** @default "netkit:httpchat:messages" */
  redisChannel?: string;
  /** @default 1000 */
  recheckMs?: number;
  /** Serve GET /ws (WebSocket push); false answers it 404 and pages long-poll. @default true */
  webSocket?: boolean;
  /**
   * Agree to permessage-deflate on /ws when the client offers it (browsers do), without context
   * takeover: each push is compressed once for every socket. @default true
   */
  webSocketCompression?: boolean;
}

/** A running web chat, as `startWebChatServer` resolves it. */
export interface WebChatServer {
  readonly hostname: string;
  readonly port: number;
  /** The HTTPS port, when `tls` was given. */
  readonly tlsPort: number | undefined;
  /** Open connections right now (plain and HTTPS). */
  readonly connectionCount: number;
  /** Swaps the HTTPS certificate without dropping connections; throws TlsError if unusable. */
  reloadTls(credentials: TlsCredentials): void;
  /** SQLite path, or the redacted PostgreSQL URL. */
  readonly dbPath: string;
  readonly store: ChatStorage;
  /** The Redis bus when `redisUrl` was given (`bus.connected` tells whether Redis is reachable). */
  readonly bus: MessageBus | undefined;
  /** Answers waiting long polls, closes connections, waits for pending commits, closes the store. */
  stop(): Promise<void>;
}

/** The embedded default: SQLite in `dbPath`. */
async function startOnSqlite(options: WebChatServerOptions): Promise<WebChatServer> {
  const dbPath = options.dbPath ?? HTTPCHAT_DEFAULTS.dbPath;
  const store = new MessageStore(dbPath);
  const server = await wire(options, store, undefined, undefined);
  options.log?.({ event: "chat.start", db: dbPath, messages: store.latestIdSync() });
  return server;
}

/**
 * Starts the web chat on SQLite (`dbPath`, the default), or on PostgreSQL (`postgresUrl`) with
 * Redis to scale out (`redisUrl`); resolves once it listens. `stop()` answers waiting long polls,
 * waits for every connection to close and for pending commits, then closes the store. Rejects
 * with WebChatError BAD_OPTIONS for `redisUrl` without `postgresUrl` (each instance would have its
 * own SQLite ids, so there is nothing to share), and STORAGE_UNAVAILABLE if PostgreSQL cannot be
 * reached at start. Redis down at start is not an error: the bus keeps retrying in the background.
 */
export async function startWebChatServer(
  options: WebChatServerOptions = {},
): Promise<WebChatServer> {
  if (options.redisUrl !== undefined && options.postgresUrl === undefined) {
    throw new WebChatError(
      "BAD_OPTIONS",
      "redisUrl needs postgresUrl: instances on separate SQLite files have separate histories and ids, so there is nothing for Redis to announce",
      500,
    );
  }
  if (options.postgresUrl === undefined) return startOnSqlite(options);
  const store = await PostgresMessageStore.open({ url: options.postgresUrl });
  let bus: MessageBus | undefined;
  let server: WebChatServer;
  try {
    const notify = { to: (_id: number) => {} };
    if (options.redisUrl !== undefined) {
      bus = new MessageBus({
        url: options.redisUrl,
        channel: options.redisChannel ?? HTTPCHAT_DEFAULTS.redisChannel,
        ...(options.log ? { log: options.log } : {}),
        onMessage: (id) => notify.to(id),
      });
    }
    server = await wire(options, store, bus, notify);
  } catch (error) {
    await store.close();
    throw error;
  }
  await bus?.start();
  options.log?.({
    event: "chat.start",
    db: store.location,
    redis: options.redisUrl !== undefined,
    messages: await store.latestId(),
  });
  return server;
}

async function wire(
  options: WebChatServerOptions,
  store: ChatStorage,
  bus: MessageBus | undefined,
  notify: { to(id: number): void } | undefined,
): Promise<WebChatServer> {
  const app = createChatApp(store, {
    recheckMs: options.recheckMs ?? HTTPCHAT_DEFAULTS.recheckMs,
    ...(options.postsPerSecond !== undefined ? { postsPerSecond: options.postsPerSecond } : {}),
    ...(options.postBurst !== undefined ? { postBurst: options.postBurst } : {}),
    ...(options.webSocket !== undefined ? { webSocket: options.webSocket } : {}),
    ...(options.webSocketCompression !== undefined
      ? { socketCompression: options.webSocketCompression }
      : {}),
    ...(bus ? { onCommitted: (id: number) => bus.announce(id) } : {}),
  });
  if (notify) notify.to = (id) => app.notify(id);
  let server: HttpServer;
  try {
    server = await startHttpServer({
      ...options,
      hostname: options.hostname ?? HTTPCHAT_DEFAULTS.hostname,
      port: options.port ?? HTTPCHAT_DEFAULTS.port,
      maxBodyBytes: options.maxBodyBytes ?? HTTPCHAT_DEFAULTS.maxBodyBytes,
      tls: options.tls && { ...options.tls, port: options.tls.port ?? HTTPCHAT_DEFAULTS.tlsPort },
      fetch: app.fetch,
    });
  } catch (error) {
    void store.close();
    throw error;
  }
  return {
    hostname: server.hostname,
    port: server.port,
    tlsPort: server.tlsPort,
    get connectionCount() {
      return server.connectionCount;
    },
    reloadTls: (credentials) => server.reloadTls(credentials),
    dbPath: store.location,
    store,
    bus,
    async stop() {
      app.close();
      await bus?.stop();
      await server.stop();
      await store.close();
      options.log?.({ event: "chat.stop" });
    },
  };
}
