// `httpchat`: the web chat (HTTP/1.1 server on raw sockets + page) from @netkit/httpchat.
import { HTTP_DEFAULTS, HTTPCHAT_DEFAULTS, startChatServer } from "@netkit/httpchat";
import {
  type Command,
  parseCount,
  parseFlags,
  parseLogLevel,
  parsePort,
  SERVER_FLAGS,
  SERVER_FLAGS_USAGE,
  stderrLog,
  UsageError,
  waitForStopSignal,
} from "../cli-kit.ts";

const usage = `Usage: bun run apps/cli httpchat [--host HOST] [--port PORT] [--db PATH]

Runs the web chat: open http://HOST:PORT/ in a browser, or post with
  curl -v -d '{"text":"Hello World!"}' http://HOST:PORT/chat
Messages are stored in SQLite (WAL); a restart keeps the history.

Options:
${SERVER_FLAGS_USAGE.replace("(0: any free port)", `(default ${HTTPCHAT_DEFAULTS.port}; 0: any free port)`)}
  --db PATH           SQLite file, its folder is created (default ${HTTPCHAT_DEFAULTS.dbPath})
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
    const log = stderrLog(parseLogLevel(values["log-level"], usage), "httpchat ");
    const server = startChatServer({
      hostname: values.host ?? HTTPCHAT_DEFAULTS.hostname,
      port: parsePort(values.port, HTTPCHAT_DEFAULTS.port, usage),
      dbPath: values.db ?? HTTPCHAT_DEFAULTS.dbPath,
      maxConnections,
      log,
    });
    if (values["print-port"]) console.log(server.port);
    const signal = await waitForStopSignal();
    log({ event: "signal", signal });
    await server.stop();
    return 0;
  },
};
