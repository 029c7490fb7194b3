// `httpchat`: the web chat (HTTP/1.1 server on raw sockets + page) from @netkit/httpchat.
import { HTTP_DEFAULTS } from "@netkit/http";
import { CHAT_LIMITS, HTTPCHAT_DEFAULTS, startWebChatServer, WebChatError } from "@netkit/httpchat";
import { SESSION_DEFAULTS } from "@netkit/websocket";
import {
  type Command,
  keepTlsFresh,
  parseServerFlags,
  parseServerTls,
  serverFlagsUsage,
  serveUntilStopped,
  TLS_FLAGS,
  tlsFlagsUsage,
  UsageError,
} from "../cli-kit.ts";

const usage = `Usage: bun run apps/cli httpchat [--host HOST] [--port PORT] [--db PATH]
                                  [--postgres URL [--redis URL]] [--tls-cert FILE --tls-key FILE]

Runs the web chat: open http://HOST:PORT/ in a browser, or post with
  curl -v -d '{"text":"Hello World!"}' http://HOST:PORT/chat
Messages are stored in SQLite (WAL); a restart keeps the history.
Several instances behind a load balancer share one history with --postgres, and with
--redis a message posted on one instance wakes long polls on all of them at once
(without it they notice within ${HTTPCHAT_DEFAULTS.recheckMs} ms, the store re-check period).
The page gets new messages over a WebSocket (GET /ws) and long-polls /messages when it cannot.

Options:
${serverFlagsUsage(HTTPCHAT_DEFAULTS.port)}
  --db PATH           SQLite file, its folder is created (default ${HTTPCHAT_DEFAULTS.dbPath})
  --postgres URL      store messages in PostgreSQL (postgres://user:pass@host:port/db) instead of SQLite
  --redis URL         announce new messages to the other instances (redis://host:port); needs --postgres
  --no-websocket      answer GET /ws with 404: pages long-poll (e.g. behind a proxy without Upgrade)
  --no-ws-compression do not agree to permessage-deflate on /ws (by default agreed when the
                      browser offers it, without context takeover: a push is compressed once)

Limits (a client over one gets the status in brackets, then the connection closes):
  --max-connections N    open connections in total [503] (default ${HTTP_DEFAULTS.maxConnections})
  --max-per-address N    connections from one IP address, 0 = no cap [503] (default ${HTTP_DEFAULTS.maxConnectionsPerAddress})
  --request-timeout-ms MS  a request, head and body, must arrive this long after its first
                         byte, plus 1 s per ${HTTP_DEFAULTS.minRequestBytesPerSecond} bytes received; no byte resets
                         it (slowloris, trickled bodies) [408] (default ${HTTP_DEFAULTS.requestTimeoutMs})
  --keep-alive-timeout-ms MS  close a connection with no request in progress after this
                         (default ${HTTP_DEFAULTS.keepAliveTimeoutMs})
  --send-timeout-ms MS   disconnect a client that leaves over 64 KiB of replies unread this
                         long (default ${HTTP_DEFAULTS.sendTimeoutMs})
  --post-rate N          messages per second one address may post after the burst,
                         0 = no limit [429 with Retry-After] (default ${CHAT_LIMITS.postsPerSecond})
  --post-burst N         messages one address may post at once (default ${CHAT_LIMITS.postBurst})
  WebSocket (GET /ws): a message or frame over ${CHAT_LIMITS.maxSocketMessageBytes} bytes (after inflating) closes with 1009; the server
                         pings every ${SESSION_DEFAULTS.pingIntervalMs / 1000} s and drops a peer that has not answered
                         within ${SESSION_DEFAULTS.pongTimeoutMs / 1000} s; a socket over ${CHAT_LIMITS.maxSocketLagBytes >> 10} KiB behind gets no pushes
                         until it drains, then catches up from the store
${tlsFlagsUsage(HTTPCHAT_DEFAULTS.tlsPort, 25)}`;

export const httpchat: Command = {
  summary: "web chat: HTTP/1.1 server on raw sockets with a browser page",
  usage,
  async run(args) {
    const flags = parseServerFlags(
      args,
      {
        db: { type: "string" },
        postgres: { type: "string" },
        redis: { type: "string" },
        "max-connections": { type: "string" },
        "max-per-address": { type: "string" },
        "request-timeout-ms": { type: "string" },
        "keep-alive-timeout-ms": { type: "string" },
        "send-timeout-ms": { type: "string" },
        "post-rate": { type: "string" },
        "post-burst": { type: "string" },
        "no-websocket": { type: "boolean" },
        "no-ws-compression": { type: "boolean" },
        ...TLS_FLAGS,
      },
      usage,
      HTTPCHAT_DEFAULTS,
      "httpchat ",
    );
    if (flags === undefined) return 0;
    const { values, log, count } = flags;
    const maxConnections = count("max-connections", HTTP_DEFAULTS.maxConnections);
    if (maxConnections < 1) throw new UsageError("--max-connections must be at least 1", usage);
    const positive = (flag: Parameters<typeof count>[0], fallback: number) => {
      const value = count(flag, fallback);
      if (value < 1) throw new UsageError(`--${flag} must be at least 1`, usage);
      return value;
    };
    const limits = {
      maxConnections,
      maxConnectionsPerAddress: count("max-per-address", HTTP_DEFAULTS.maxConnectionsPerAddress),
      requestTimeoutMs: positive("request-timeout-ms", HTTP_DEFAULTS.requestTimeoutMs),
      keepAliveTimeoutMs: positive("keep-alive-timeout-ms", HTTP_DEFAULTS.keepAliveTimeoutMs),
      sendTimeoutMs: positive("send-timeout-ms", HTTP_DEFAULTS.sendTimeoutMs),
      postsPerSecond: count("post-rate", CHAT_LIMITS.postsPerSecond),
      postBurst: count("post-burst", CHAT_LIMITS.postBurst),
    };
    if (values.redis !== undefined && values.postgres === undefined) {
      throw new UsageError(
        "--redis needs --postgres: instances on separate SQLite files have separate histories, so there is nothing to share",
        usage,
      );
    }
    if (values.postgres !== undefined && values.db !== undefined) {
      throw new UsageError("--db and --postgres exclude each other", usage);
    }
    const tls = await parseServerTls(values, HTTPCHAT_DEFAULTS.tlsPort, usage);
    let server: Awaited<ReturnType<typeof startWebChatServer>>;
    try {
      server = await startWebChatServer({
        hostname: flags.hostname,
        port: flags.port,
        dbPath: values.db ?? HTTPCHAT_DEFAULTS.dbPath,
        ...(values.postgres !== undefined ? { postgresUrl: values.postgres } : {}),
        ...(values.redis !== undefined ? { redisUrl: values.redis } : {}),
        ...(values["no-websocket"] ? { webSocket: false } : {}),
        ...(values["no-ws-compression"] ? { webSocketCompression: false } : {}),
        ...limits,
        tls,
        log,
      });
    } catch (error) {
      if (error instanceof WebChatError && error.code === "STORAGE_UNAVAILABLE") {
        log({ level: "error", event: "chat.start.fail", error: error.message });
        return 1;
      }
      throw error;
    }
    if (tls) keepTlsFresh(tls, (c) => server.reloadTls(c), log);
    return serveUntilStopped(server, log, flags.printPort);
  },
};
