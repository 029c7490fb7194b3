// `echo`: the line echo server (seed Exercise 1.1); `--upper` capitalizes like the seed.
import { ECHO_DEFAULTS, startEchoServer } from "@netkit/chat";
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

const usage = `Usage: bun run apps/cli echo [--host HOST] [--port PORT] [--upper]

Sends every line back to its sender (nc is a client: nc 127.0.0.1 ${ECHO_DEFAULTS.port}).
Lines come back unchanged unless --upper is given; --upper capitalizes with Unicode rules
(straße -> STRASSE), which is what the seed exercise's server did.

Options:
${serverFlagsUsage(ECHO_DEFAULTS.port, "", 27)}
  --upper                  capitalize each line (default: off, lines echo unchanged)
  --max-line-bytes N       longest line; longer ones get an error line (default ${ECHO_DEFAULTS.maxLineBytes})
  --max-queued-bytes N     output kept for a client that stops reading (default ${ECHO_DEFAULTS.maxQueuedBytes})
  --idle-timeout-ms MS     close clients silent this long, 0 = never (default ${ECHO_DEFAULTS.idleTimeoutMs})
  --line-timeout-ms MS     a line must end this long after its first byte, plus 1 s per KiB;
                           no byte resets it, 0 = never (default ${ECHO_DEFAULTS.lineTimeoutMs})
  --max-per-address N      connections from one IP address, 0 = no cap (default ${ECHO_DEFAULTS.maxConnectionsPerAddress})
${tlsFlagsUsage(ECHO_DEFAULTS.tlsPort, 27)}`;

export const echo: Command = {
  summary: "line echo server (--upper capitalizes), nc-friendly",
  usage,
  async run(args) {
    const flags = parseServerFlags(
      args,
      {
        upper: { type: "boolean" },
        "max-line-bytes": { type: "string" },
        "max-queued-bytes": { type: "string" },
        "idle-timeout-ms": { type: "string" },
        "line-timeout-ms": { type: "string" },
        "max-per-address": { type: "string" },
        ...TLS_FLAGS,
      },
      usage,
      ECHO_DEFAULTS,
      "echo ",
    );
    if (flags === undefined) return 0;
    const { values, count, log } = flags;
    const tls = await parseServerTls(values, ECHO_DEFAULTS.tlsPort, usage);
    let server: Awaited<ReturnType<typeof startEchoServer>>;
    try {
      server = await startEchoServer({
        hostname: flags.hostname,
        port: flags.port,
        upper: values.upper ?? ECHO_DEFAULTS.upper,
        maxLineBytes: count("max-line-bytes", ECHO_DEFAULTS.maxLineBytes),
        maxQueuedBytes: count("max-queued-bytes", ECHO_DEFAULTS.maxQueuedBytes),
        idleTimeoutMs: count("idle-timeout-ms", ECHO_DEFAULTS.idleTimeoutMs),
        lineTimeoutMs: count("line-timeout-ms", ECHO_DEFAULTS.lineTimeoutMs),
        maxConnectionsPerAddress: count("max-per-address", ECHO_DEFAULTS.maxConnectionsPerAddress),
        tls,
        log,
      });
    } catch (error) {
      if (error instanceof RangeError) throw new UsageError(error.message, usage);
      throw error;
    }
    if (tls) keepTlsFresh(tls, (c) => server.reloadTls(c), log);
    return serveUntilStopped(server, log, flags.printPort);
  },
};
