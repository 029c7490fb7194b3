// Starts the web chat: the HTTP server, the chat routes and the SQLite store, wired together.
import type { Log } from "@netkit/framing";
import { HTTP_DEFAULTS } from "../http/defaults.ts";
import { type HttpServer, type ServeOptions, serve } from "../http/server.ts";
import { createChatApp } from "./routes/app.ts";
import { MessageStore } from "./store.ts";

export const HTTPCHAT_DEFAULTS = {
  hostname: HTTP_DEFAULTS.hostname,
  port: 8888,
  dbPath: "./data/httpchat.sqlite",
  /** A chat message is at most 2000 code points (8 KB of UTF-8) plus JSON; 64 KiB is ample. */
  maxBodyBytes: 64 * 1024,
} as const;

export interface ChatServerOptions
  extends Omit<ServeOptions, "fetch" | "hostname" | "port" | "maxBodyBytes" | "log"> {
  /** @default "127.0.0.1" */
  hostname?: string;
  /** @default 8888 */
  port?: number;
  /** SQLite file (its folder is created); ":memory:" keeps nothing. @default "./data/httpchat.sqlite" */
  dbPath?: string;
  /** @default 65536 */
  maxBodyBytes?: number;
  log?: Log;
}

export interface ChatServer {
  readonly hostname: string;
  readonly port: number;
  readonly dbPath: string;
  /** Answers waiting long polls, closes connections, closes the database. */
  stop(): Promise<void>;
}

export function startChatServer(options: ChatServerOptions = {}): ChatServer {
  const dbPath = options.dbPath ?? HTTPCHAT_DEFAULTS.dbPath;
  const store = new MessageStore(dbPath);
  const app = createChatApp(store);
  let server: HttpServer;
  try {
    server = serve({
      ...options,
      hostname: options.hostname ?? HTTPCHAT_DEFAULTS.hostname,
      port: options.port ?? HTTPCHAT_DEFAULTS.port,
      maxBodyBytes: options.maxBodyBytes ?? HTTPCHAT_DEFAULTS.maxBodyBytes,
      fetch: app.fetch,
    });
  } catch (error) {
    store.close();
    throw error;
  }
  options.log?.({ event: "chat.start", db: dbPath, messages: store.latestId() });
  return {
    hostname: server.hostname,
    port: server.port,
    dbPath,
    async stop() {
      app.close();
      await server.stop();
      store.close();
      options.log?.({ event: "chat.stop" });
    },
  };
}
