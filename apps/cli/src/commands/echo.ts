// `echo`: the line echo server (seed Exercise 1.1); `--upper` capitalizes like the seed.
import { ECHO_DEFAULTS, serveEcho } from "@netkit/chat";
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

const usage = `Usage: bun run apps/cli echo [--host HOST] [--port PORT] [--upper]

Sends every line back to its sender (nc is a client: nc 127.0.0.1 ${ECHO_DEFAULTS.port}).
Lines come back unchanged unless --upper is given; --upper capitalizes with Unicode rules
(straße -> STRASSE), which is what the seed exercise's server did.

Options:
${SERVER_FLAGS_USAGE.replace("(0: any free port)", `(default ${ECHO_DEFAULTS.port}; 0: any free port)`)}
  --upper                  capitalize each line (default: off, lines echo unchanged)
  --max-line-bytes N       longest line; longer ones get an error line (default ${ECHO_DEFAULTS.maxLineBytes})
  --max-queued-bytes N     output kept for a client that stops reading (default ${ECHO_DEFAULTS.maxQueuedBytes})
  --idle-timeout-ms MS     close clients silent this long, 0 = never (default ${ECHO_DEFAULTS.idleTimeoutMs})
  --print-port             print the bound port on stdout once listening`;

export const echo: Command = {
  summary: "line echo server (--upper capitalizes), nc-friendly",
  usage,
  async run(args) {
    const { values, positionals } = parseFlags(
      args,
      {
        ...SERVER_FLAGS,
        upper: { type: "boolean" },
        "max-line-bytes": { type: "string" },
        "max-queued-bytes": { type: "string" },
        "idle-timeout-ms": { type: "string" },
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
    const log = stderrLog(parseLogLevel(values["log-level"], usage), "echo ");
    const options = {
      hostname: values.host ?? ECHO_DEFAULTS.hostname,
      port: parsePort(values.port, ECHO_DEFAULTS.port, usage),
      upper: values.upper ?? ECHO_DEFAULTS.upper,
      maxLineBytes: parseCount(
        "max-line-bytes",
        values["max-line-bytes"],
        ECHO_DEFAULTS.maxLineBytes,
        usage,
      ),
      maxQueuedBytes: parseCount(
        "max-queued-bytes",
        values["max-queued-bytes"],
        ECHO_DEFAULTS.maxQueuedBytes,
        usage,
      ),
      idleTimeoutMs: parseCount(
        "idle-timeout-ms",
        values["idle-timeout-ms"],
        ECHO_DEFAULTS.idleTimeoutMs,
        usage,
      ),
      log,
    };
    let server: ReturnType<typeof serveEcho>;
    try {
      server = serveEcho(options);
    } catch (error) {
      if (error instanceof RangeError) throw new UsageError(error.message, usage);
      throw error;
    }
    return serveUntilStopped(server, log, values["print-port"]);
  },
};
