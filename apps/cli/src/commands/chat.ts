// `chat`: the chat room server (`chat [--port]`) and its client (`chat connect [HOST[:PORT]]`).
import {
  CHAT_CLIENT_DEFAULTS,
  CHAT_DEFAULTS,
  parseChatTarget,
  REDIS_DEFAULTS,
  runChatClient,
  startChatServer,
} from "@netkit/chat";
import {
  type Command,
  keepTlsFresh,
  parseFlags,
  parseServerFlags,
  parseServerTls,
  serverFlagsUsage,
  serveUntilStopped,
  TLS_FLAGS,
  tlsFlagsUsage,
  UsageError,
} from "../cli-kit.ts";

const serverUsage = `Usage: bun run apps/cli chat [--host HOST] [--port PORT] [--redis URL] [limits...]
       bun run apps/cli chat connect [HOST[:PORT]] [--name NAME]

Runs the chat room: a line protocol (UTF-8, LF or CRLF), so nc, telnet and socat are clients
(nc 127.0.0.1 ${CHAT_DEFAULTS.port}). The first line is your name; /help lists the commands.

Options:
${serverFlagsUsage(CHAT_DEFAULTS.port, "", 29)}
  --max-line-bytes N         longest line; longer: error line, dropped (default ${CHAT_DEFAULTS.maxLineBytes})
  --max-queued-bytes N       output kept for a client that stops reading; past it
                             the client is disconnected (default ${CHAT_DEFAULTS.maxQueuedBytes})
  --flood-burst N            lines a client may send in a burst, 0 = no limit (default ${CHAT_DEFAULTS.floodBurst})
  --flood-rate N             then lines per second, 0 = no limit (default ${CHAT_DEFAULTS.floodLinesPerSecond})
  --idle-timeout-ms MS       disconnect clients silent this long, 0 = never (default ${CHAT_DEFAULTS.idleTimeoutMs})
  --line-timeout-ms MS       a line must end this long after its first byte, plus 1 s per
                             KiB; no byte resets it, 0 = never (default ${CHAT_DEFAULTS.lineTimeoutMs})
  --max-per-address N        connections from one IP address, 0 = no cap (default ${CHAT_DEFAULTS.maxConnectionsPerAddress})
  --max-connections N        connections in total (default ${CHAT_DEFAULTS.maxConnections})
${tlsFlagsUsage(CHAT_DEFAULTS.tlsPort, 29)}
  --history N                messages replayed to newcomers (default ${CHAT_DEFAULTS.historySize})
  --coalesce-ms MS           hold output at most this long to send several messages per
                             write (in a busy room a third of the clients get theirs each
                             message); 0 = one write per client per event-loop turn (default ${CHAT_DEFAULTS.coalesceMs})

Several instances as one room (each on its own port, e.g. behind a load balancer):
  --redis URL                share the room through Redis (redis://host:port): messages, /msg,
                             /who and unique names span every instance with the same URL and room
  --room NAME                room name in Redis (default ${REDIS_DEFAULTS.room})
  --name-ttl-ms MS           a dead instance's names are freed after this (default ${REDIS_DEFAULTS.nameTtlMs})`;

const clientUsage = `Usage: bun run apps/cli chat connect [HOST[:PORT]] [--name NAME] [--tls [--ca FILE]]

Joins a chat room (default ${CHAT_CLIENT_DEFAULTS.hostname}:${CHAT_CLIENT_DEFAULTS.port}). Incoming lines print while you type.
/quit, Ctrl-C or Ctrl-D leave. When stdin is a pipe, its lines are sent and the client ends
after the server has answered them.

Options:
  --name NAME         send NAME as your name right away (otherwise the server asks)
  --tls               speak TLS (default port then ${CHAT_DEFAULTS.tlsPort}); the certificate is verified
  --ca FILE           PEM of the CA or self-signed certificate to trust (with --tls)`;

async function runServer(args: string[]): Promise<number> {
  const flags = parseServerFlags(
    args,
    {
      "max-line-bytes": { type: "string" },
      "max-queued-bytes": { type: "string" },
      "flood-burst": { type: "string" },
      "flood-rate": { type: "string" },
      "idle-timeout-ms": { type: "string" },
      "line-timeout-ms": { type: "string" },
      "max-per-address": { type: "string" },
      "max-connections": { type: "string" },
      history: { type: "string" },
      "coalesce-ms": { type: "string" },
      redis: { type: "string" },
      room: { type: "string" },
      "name-ttl-ms": { type: "string" },
      ...TLS_FLAGS,
    },
    serverUsage,
    CHAT_DEFAULTS,
    "chat ",
  );
  if (flags === undefined) return 0;
  const { values, count, log } = flags;
  if (!values.redis && (values.room !== undefined || values["name-ttl-ms"] !== undefined)) {
    throw new UsageError("--room and --name-ttl-ms need --redis", serverUsage);
  }
  const tls = await parseServerTls(values, CHAT_DEFAULTS.tlsPort, serverUsage);
  let server: Awaited<ReturnType<typeof startChatServer>>;
  try {
    server = await startChatServer({
      hostname: flags.hostname,
      port: flags.port,
      maxLineBytes: count("max-line-bytes", CHAT_DEFAULTS.maxLineBytes),
      maxQueuedBytes: count("max-queued-bytes", CHAT_DEFAULTS.maxQueuedBytes),
      floodBurst: count("flood-burst", CHAT_DEFAULTS.floodBurst),
      floodLinesPerSecond: count("flood-rate", CHAT_DEFAULTS.floodLinesPerSecond),
      idleTimeoutMs: count("idle-timeout-ms", CHAT_DEFAULTS.idleTimeoutMs),
      lineTimeoutMs: count("line-timeout-ms", CHAT_DEFAULTS.lineTimeoutMs),
      maxConnectionsPerAddress: count("max-per-address", CHAT_DEFAULTS.maxConnectionsPerAddress),
      maxConnections: count("max-connections", CHAT_DEFAULTS.maxConnections),
      historySize: count("history", CHAT_DEFAULTS.historySize),
      coalesceMs: count("coalesce-ms", CHAT_DEFAULTS.coalesceMs),
      tls,
      redis: values.redis
        ? {
            url: values.redis,
            room: values.room ?? REDIS_DEFAULTS.room,
            nameTtlMs: count("name-ttl-ms", REDIS_DEFAULTS.nameTtlMs),
          }
        : undefined,
      log,
    });
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message, serverUsage);
    throw error;
  }
  if (tls) keepTlsFresh(tls, (c) => server.reloadTls(c), log);
  return serveUntilStopped(server, log, flags.printPort);
}

async function runClient(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    { name: { type: "string", short: "n" }, tls: { type: "boolean" }, ca: { type: "string" } },
    clientUsage,
  );
  if (values.help) {
    console.log(clientUsage);
    return 0;
  }
  if (positionals.length > 1) {
    throw new UsageError(`unexpected argument ${positionals[1]}`, clientUsage);
  }
  let target: { hostname: string; port: number };
  try {
    target = parseChatTarget(positionals[0], {
      hostname: CHAT_CLIENT_DEFAULTS.hostname,
      port: values.tls ? CHAT_DEFAULTS.tlsPort : CHAT_CLIENT_DEFAULTS.port,
    });
  } catch (error) {
    throw new UsageError((error as Error).message, clientUsage);
  }
  if (values.ca !== undefined && !values.tls) throw new UsageError("--ca needs --tls", clientUsage);
  const tls = values.tls
    ? values.ca === undefined
      ? (true as const)
      : { ca: await Bun.file(values.ca).text() }
    : undefined;
  return runChatClient({ ...target, name: values.name, tls });
}

export const chat: Command = {
  summary: "chat room server (nc-friendly); `chat connect` is its client",
  usage: serverUsage,
  run(args) {
    return args[0] === "connect" ? runClient(args.slice(1)) : runServer(args);
  },
};
