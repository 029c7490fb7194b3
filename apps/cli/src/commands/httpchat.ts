// `httpchat`: the web chat (HTTP/1.1 server on raw sockets + page) from @netkit/httpchat.
import { HTTP_DEFAULTS, HTTPCHAT_DEFAULTS, HttpError, openChatServer } from "@netkit/httpchat";
import {
  type Command,
  parseCount,
  parseFlags,
  parseLogLevel,
  parsePort,
  SERVER_FLAGS,
  SERVER_FLAGS_USAGE,
  serveUntilStopped,
  stderrLog,
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
${SERVER_FLAGS_USAGE.replace("(0: any free port)", `(default ${HTTPCHAT_DEFAULTS.port}; 0: any free port)`)}
  --db PATH           SQLite file, its folder is created (default ${HTTPCHAT_DEFAULTS.dbPath})
  --postgres URL      store messages in PostgreSQL (postgres://user:pass@host:port/db) instead of SQLite
  --redis URL         announce new messages to the other instances (redis://host:port); needs --postgres
  --max-connections N open connections before new ones get 503 (default ${HTTP_DEFAULTS.maxConnections})
  --print-port        print the bound port on stdout once listening (for scripts and tests)`;

export const httpchat: Command = {
  summary: "web chat: HTTP/1.1 server on raw sockets with a browser page",
  usage,
  async run(args) {
    const { values, positionals } = parseFlags(
      args,
      {
        ...SERVER_FLAGS,
        db: { type: "string" },
        postgres: { type: "string" },
        redis: { type: "string" },
        "max-connections": { type: "string" },
        "print-port": { type: "boolean" },
      },
      usage,
    );
    if (values.help) {
      console.log(usage);
      return 0;
    }
    if (positionals.length > 0)
      throw new UsageError(`unexpected argument ${positionals[0]}`, usage);
    const maxConnections = parseCount(
      "max-connections",
      values["max-connections"],
      HTTP_DEFAULTS.maxConnections,
      usage,
    );
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
    const log = stderrLog(parseLogLevel(values["log-level"], usage), "httpchat ");
    let server: Awaited<ReturnType<typeof openChatServer>>;
    try {
      server = await openChatServer({
        hostname: values.host ?? HTTPCHAT_DEFAULTS.hostname,
        port: parsePort(values.port, HTTPCHAT_DEFAULTS.port, usage),
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
    return serveUntilStopped(server, log, values["print-port"]);
  },
};
