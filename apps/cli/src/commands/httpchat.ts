// `httpchat`: the web chat (HTTP/1.1 server on raw sockets + page) from @netkit/httpchat.
import { HTTP_DEFAULTS, HTTPCHAT_DEFAULTS, HttpError, openChatServer } from "@netkit/httpchat";
import {
  type Command,
  parseServerFlags,
  serverFlagsUsage,
  serveUntilStopped,
  UsageError,
} from "../cli-kit.ts";

const usage = `Usage: bun run apps/cli httpchat [--host HOST] [--port PORT] [--db PATH]
                                  [--postgres URL [--redis URL]]

Runs the web chat: open http://HOST:PORT/ in a browser, or post with
  curl -v -d '{"text":"Hello World!"}' http://HOST:PORT/chat
Messages are stored in SQLite (WAL); a restart keeps the history.
Several instances behind a load balancer share one history with --postgres, and with
--redis a message posted on one instance wakes long polls on all of them at once
(without it they notice within ${HTTPCHAT_DEFAULTS.recheckMs} ms, the store re-check period).

Options:
${serverFlagsUsage(HTTPCHAT_DEFAULTS.port)}
  --db PATH           SQLite file, its folder is created (default ${HTTPCHAT_DEFAULTS.dbPath})
  --postgres URL      store messages in PostgreSQL (postgres://user:pass@host:port/db) instead of SQLite
  --redis URL         announce new messages to the other instances (redis://host:port); needs --postgres
  --max-connections N open connections before new ones get 503 (default ${HTTP_DEFAULTS.maxConnections})`;

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
      },
      usage,
      HTTPCHAT_DEFAULTS,
      "httpchat ",
    );
    if (flags === undefined) return 0;
    const { values, log } = flags;
    const maxConnections = flags.count("max-connections", HTTP_DEFAULTS.maxConnections);
    if (maxConnections < 1) throw new UsageError("--max-connections must be at least 1", usage);
    if (values.redis !== undefined && values.postgres === undefined) {
      throw new UsageError(
        "--redis needs --postgres: instances on separate SQLite files have separate histories, so there is nothing to share",
        usage,
      );
    }
    if (values.postgres !== undefined && values.db !== undefined) {
      throw new UsageError("--db and --postgres exclude each other", usage);
    }
    let server: Awaited<ReturnType<typeof openChatServer>>;
    try {
      server = await openChatServer({
        hostname: flags.hostname,
        port: flags.port,
        dbPath: values.db ?? HTTPCHAT_DEFAULTS.dbPath,
        ...(values.postgres !== undefined ? { postgresUrl: values.postgres } : {}),
        ...(values.redis !== undefined ? { redisUrl: values.redis } : {}),
        maxConnections,
        log,
      });
    } catch (error) {
      if (error instanceof HttpError && error.code === "STORAGE_UNAVAILABLE") {
        log({ level: "error", event: "chat.start.fail", error: error.message });
        return 1;
      }
      throw error;
    }
    return serveUntilStopped(server, log, flags.printPort);
  },
};
