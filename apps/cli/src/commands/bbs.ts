// `bbs`: the BBS server (`bbs [--port] [--db]`) and its client (`bbs connect [TARGET]`).
import { createInterface } from "node:readline";
import {
  BBS_CLIENT_DEFAULTS,
  BBS_DEFAULTS,
  CLUSTER_DEFAULTS,
  defaultClientStatePath,
  runBbsClient,
  startBbsServer,
} from "@netkit/bbs";
import {
  type Command,
  keepTlsFresh,
  parseFlags,
  parsePort,
  parseServerFlags,
  parseServerTls,
  serverFlagsUsage,
  serveUntilStopped,
  TLS_FLAGS,
  tlsFlagsUsage,
  UsageError,
} from "../cli-kit.ts";

const serverUsage = `Usage: bun run apps/cli bbs [--host HOST] [--port PORT] [--db PATH] [--sync normal|full]
                                [--postgres URL] [--redis URL]
       bun run apps/cli bbs connect [HOST|DOMAIN[:PORT]] [--user NAME] [--names HOST:PORT]

Runs the bulletin board server (the seed's "BBS Server 1.2" protocol on length-prefixed frames).
Posts, DMs and accounts are stored in SQLite (WAL), or in PostgreSQL with --postgres; each
command is stored before the next one.

Options:
${serverFlagsUsage(BBS_DEFAULTS.port)}
  --db PATH           SQLite file, its folder is created (default ${BBS_DEFAULTS.dbPath})
  --sync MODE         normal: survives kill -9; full: also power loss, slower (default ${BBS_DEFAULTS.synchronous.toLowerCase()})
  --postgres URL      store in PostgreSQL instead of SQLite (postgres://user:pass@host:port/db);
                      several instances may share one database (--db and --sync are then unused)
  --redis URL         share who is online and registrations with the other instances through
                      Redis (redis://host:port); presence expires ${CLUSTER_DEFAULTS.presenceTtlMs / 1000} s after an instance dies
  --max-connections-per-address N
                      connections from one IP address, 0 = no cap (default ${BBS_DEFAULTS.maxConnectionsPerAddress})
  --message-timeout-ms MS
                      a frame must be complete this long after its first byte, plus
                      1 s per KiB; no byte resets it, 0 = off (default ${BBS_DEFAULTS.messageTimeoutMs})
  --idle-timeout-ms MS
                      close sessions silent this long, 0 = never (default ${BBS_DEFAULTS.idleTimeoutMs})
${tlsFlagsUsage(BBS_DEFAULTS.tlsPort, 22)}

Several instances: run one per port with the same --postgres and --redis, e.g.
  bun run apps/cli bbs --port 10333 --postgres postgres://127.0.0.1/bbs --redis redis://127.0.0.1:6379
  bun run apps/cli bbs --port 10335 --postgres postgres://127.0.0.1/bbs --redis redis://127.0.0.1:6379`;

const clientUsage = `Usage: bun run apps/cli bbs connect [HOST|DOMAIN[:PORT]] [--user NAME] [--names HOST:PORT]

Connects to a BBS. A domain is looked up with the name service first ("DNS Server 1.0",
default ${BBS_CLIENT_DEFAULTS.namesHost}:${BBS_CLIENT_DEFAULTS.namesPort}); an IP address is used directly. Missing values
are asked for. When stdin is not a terminal it carries exactly the lines a user would type.

Options:
  --user NAME         username (asked for when absent)
  --names HOST:PORT   name service (default ${BBS_CLIENT_DEFAULTS.namesHost}:${BBS_CLIENT_DEFAULTS.namesPort})
  --state PATH        where \`new\` remembers the last post seen ("" for nowhere;
                      default ${defaultClientStatePath()})
  --timeout-ms MS     bound on connecting and on every reply (default ${BBS_CLIENT_DEFAULTS.timeoutMs})
  --tls               speak TLS (give the server's TLS port, default ${BBS_DEFAULTS.tlsPort});
                      the certificate is verified and a failure is an error
  --ca FILE           PEM of the CA or self-signed certificate to trust (with --tls)`;

async function runServer(args: string[]): Promise<number> {
  const flags = parseServerFlags(
    args,
    {
      db: { type: "string" },
      sync: { type: "string" },
      postgres: { type: "string" },
      redis: { type: "string" },
      "max-connections-per-address": { type: "string" },
      "message-timeout-ms": { type: "string" },
      "idle-timeout-ms": { type: "string" },
      ...TLS_FLAGS,
    },
    serverUsage,
    BBS_DEFAULTS,
    "bbs ",
  );
  if (flags === undefined) return 0;
  const { values, log, count } = flags;
  const sync = (values.sync ?? BBS_DEFAULTS.synchronous).toUpperCase();
  if (sync !== "NORMAL" && sync !== "FULL")
    throw new UsageError("--sync must be normal or full", serverUsage);
  for (const [flag, schemes] of [
    ["postgres", ["postgres:", "postgresql:"]],
    ["redis", ["redis:", "rediss:"]],
  ] as const) {
    const url = values[flag];
    if (url === undefined) continue;
    let scheme = "";
    try {
      scheme = new URL(url).protocol;
    } catch {}
    if (!(schemes as readonly string[]).includes(scheme))
      throw new UsageError(`--${flag} must be a ${schemes[0]}// URL`, serverUsage);
  }
  const tls = await parseServerTls(values, BBS_DEFAULTS.tlsPort, serverUsage);
  const server = await startBbsServer({
    hostname: flags.hostname,
    port: flags.port,
    dbPath: values.db ?? BBS_DEFAULTS.dbPath,
    synchronous: sync,
    postgresUrl: values.postgres,
    redisUrl: values.redis,
    maxConnectionsPerAddress: count(
      "max-connections-per-address",
      BBS_DEFAULTS.maxConnectionsPerAddress,
    ),
    messageTimeoutMs: count("message-timeout-ms", BBS_DEFAULTS.messageTimeoutMs),
    idleTimeoutMs: count("idle-timeout-ms", BBS_DEFAULTS.idleTimeoutMs),
    tls,
    log,
  });
  if (tls) keepTlsFresh(tls, (c) => server.reloadTls(c), log);
  return serveUntilStopped(server, log, flags.printPort);
}

async function runClient(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    {
      user: { type: "string", short: "u" },
      state: { type: "string" },
      names: { type: "string" },
      "timeout-ms": { type: "string" },
      tls: { type: "boolean" },
      ca: { type: "string" },
    },
    clientUsage,
  );
  if (values.help) {
    console.log(clientUsage);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError("give one HOST|DOMAIN[:PORT]", clientUsage);
  let namesHost: string | undefined;
  let namesPort: number | undefined;
  if (values.names !== undefined) {
    const i = values.names.lastIndexOf(":");
    if (i <= 0) throw new UsageError("--names must be HOST:PORT", clientUsage);
    namesHost = values.names.slice(0, i).replace(/^\[|\]$/g, "");
    namesPort = parsePort(values.names.slice(i + 1), BBS_CLIENT_DEFAULTS.namesPort, clientUsage);
  }
  const timeout = values["timeout-ms"];
  if (timeout !== undefined && !/^\d+$/.test(timeout)) {
    throw new UsageError("--timeout-ms must be a number", clientUsage);
  }
  if (values.ca !== undefined && !values.tls) throw new UsageError("--ca needs --tls", clientUsage);
  const tls = values.tls
    ? values.ca === undefined
      ? (true as const)
      : { ca: await Bun.file(values.ca).text() }
    : undefined;
  const interactive = process.stdin.isTTY === true;
  const rl = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    return await runBbsClient({
      target: positionals[0],
      username: values.user,
      namesHost,
      namesPort,
      timeoutMs: timeout === undefined ? undefined : Number(timeout),
      tls,
      input: rl[Symbol.asyncIterator](),
      statePath: values.state ?? defaultClientStatePath(),
      write: (text) => process.stdout.write(text),
      prompt: interactive ? (text) => process.stdout.write(text) : () => {},
    });
  } finally {
    rl.close();
  }
}

export const bbs: Command = {
  summary: "bulletin board server (and `bbs connect` client)",
  usage: serverUsage,
  run(args) {
    return args[0] === "connect" ? runClient(args.slice(1)) : runServer(args);
  },
};
