// Shared plumbing for CLI commands: flag parsing, usage errors, logging to stderr, signals.
import { watch } from "node:fs";
import { type ParseArgsConfig, parseArgs } from "node:util";
import {
  LOG_LEVELS,
  type Log,
  type LogEvent,
  type LogLevel,
  loadTlsCredentials,
} from "@netkit/framing";

/** A CLI subcommand: `run` returns the process exit code. */
export interface Command {
  /** One line for the root `--help`. */
  summary: string;
  /** The full `--help` text of this command. */
  usage: string;
  run(args: string[]): Promise<number>;
}

/** Thrown for a bad command line; main prints the message and the usage, and exits 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** `node:util` parseArgs in strict mode, with `--help` built in and errors turned into UsageError. */
export function parseFlags<O extends Options>(args: string[], options: O, usage: string) {
  try {
    const parsed = parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
    return parsed;
  } catch (error) {
    throw new UsageError((error as Error).message, usage);
  }
}

/** Parses a TCP/UDP port flag (0 allowed: the OS picks one). */
export function parsePort(value: string | undefined, fallback: number, usage: string): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new UsageError(`invalid port: ${value}`, usage);
  return port;
}

/** Parses a non-negative integer flag. */
export function parseCount(
  name: string,
  value: string | undefined,
  fallback: number,
  usage: string,
) {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a non-negative integer`, usage);
  return Number(value);
}

export function parseLogLevel(value: string | undefined, usage: string): LogLevel {
  const level = (value ?? "info") as LogLevel;
  if (!LOG_LEVELS.includes(level)) {
    throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(", ")}`, usage);
  }
  return level;
}

/** Flags every server command takes. */
export const SERVER_FLAGS = {
  host: { type: "string" },
  port: { type: "string", short: "p" },
  "log-level": { type: "string" },
  "print-port": { type: "boolean" },
} as const satisfies Options;

/**
 * The usage lines of SERVER_FLAGS with the command's default port (`portNote` goes before it),
 * descriptions starting at `column` to line up with the command's other options.
 */
export function serverFlagsUsage(defaultPort: number, portNote = "", column = 22): string {
  return [
    ["--host HOST", "address to listen on (default 127.0.0.1)"],
    ["-p, --port PORT", `port to listen on (${portNote}default ${defaultPort}; 0: any free port)`],
    ["--log-level LEVEL", "debug | info | warn | error (default info)"],
    ["--print-port", "print the bound port on stdout once listening, then the TLS port if any"],
  ]
    .map(([flag, text]) => `  ${(flag ?? "").padEnd(column - 2)}${text}`)
    .join("\n");
}

/**
 * The common start of a server command: SERVER_FLAGS plus `options`, `--help` (printed; the
 * result is then undefined), no positional arguments, the address to listen on, and a stderr log
 * at the chosen level. `count(flag, fallback)` reads one of the command's non-negative integers.
 */
export function parseServerFlags<O extends Options>(
  args: string[],
  options: O,
  usage: string,
  defaults: { readonly hostname: string; readonly port: number },
  logPrefix: string,
) {
  const { values, positionals } = parseFlags(args, { ...SERVER_FLAGS, ...options }, usage);
  const common = values as {
    help?: boolean;
    host?: string;
    port?: string;
    "log-level"?: string;
    "print-port"?: boolean;
  };
  if (common.help) {
    console.log(usage);
    return undefined;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`, usage);
  const logLevel = parseLogLevel(common["log-level"], usage);
  // A server is about to start: its stop signals are handled from now on, before any ready line.
  void trapStopSignals();
  return {
    values,
    hostname: common.host ?? defaults.hostname,
    port: parsePort(common.port, defaults.port, usage),
    printPort: common["print-port"] ?? false,
    logLevel,
    log: stderrLog(logLevel, logPrefix),
    count: (flag: keyof O & string, fallback: number) =>
      parseCount(
        flag,
        (values as Record<string, unknown>)[flag] as string | undefined,
        fallback,
        usage,
      ),
  };
}

function formatValue(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text !== undefined && /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text ?? null);
}

/** Renders log events as one `key=value` line each on stderr, dropping those below `minLevel`. */
export function stderrLog(minLevel: LogLevel, prefix = ""): Log {
  const min = LOG_LEVELS.indexOf(minLevel);
  return (e: LogEvent) => {
    const level = e.level ?? "info";
    if (LOG_LEVELS.indexOf(level) < min) return;
    let line = `${new Date().toISOString()} ${level.padEnd(5)} ${prefix}${e.event}`;
    for (const [key, value] of Object.entries(e)) {
      if (key !== "level" && key !== "event" && value !== undefined) {
        line += ` ${key}=${formatValue(value)}`;
      }
    }
    process.stderr.write(`${line}\n`);
  };
}

/** The TLS flags every server command takes (spread into its parseServerFlags options). */
export const TLS_FLAGS = {
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "tls-port": { type: "string" },
} as const;

/** The --help lines of TLS_FLAGS. */
export function tlsFlagsUsage(defaultTlsPort: number, width: number): string {
  const pad = (flag: string) => `  ${flag.padEnd(width - 2)}`;
  return [
    `${pad("--tls-cert FILE")}PEM certificate (chain); with --tls-key, also serve TLS`,
    `${pad("--tls-key FILE")}PEM private key of --tls-cert`,
    `${pad("--tls-port PORT")}where TLS listens (default ${defaultTlsPort}); the files are`,
    `${pad("")}reloaded on SIGHUP or when they change, without dropping anyone`,
  ].join("\n");
}

/** A server's TLS set-up from TLS_FLAGS: the credentials and port, and what to watch. */
export interface ServerTls {
  cert: string;
  key: string;
  port: number;
  certFile: string;
  keyFile: string;
}

/** Reads --tls-cert/--tls-key/--tls-port; undefined without them; a bad pair is a UsageError-free Error. */
export async function parseServerTls(
  values: Record<string, unknown>,
  defaultTlsPort: number,
  usage: string,
): Promise<ServerTls | undefined> {
  const certFile = values["tls-cert"] as string | undefined;
  const keyFile = values["tls-key"] as string | undefined;
  if (certFile === undefined && keyFile === undefined) {
    if (values["tls-port"] !== undefined)
      throw new UsageError("--tls-port needs --tls-cert and --tls-key", usage);
    return undefined;
  }
  if (certFile === undefined || keyFile === undefined) {
    throw new UsageError("--tls-cert and --tls-key go together", usage);
  }
  const port = parsePort(values["tls-port"] as string | undefined, defaultTlsPort, usage);
  const credentials = await loadTlsCredentials(certFile, keyFile);
  return { ...credentials, port, certFile, keyFile };
}

/**
 * Reloads a server's certificate on SIGHUP and when either file changes (a renewal), without
 * dropping connections; a bad new pair is logged and the old one kept. Returns a stop function.
 */
export function keepTlsFresh(
  tls: ServerTls,
  reload: (credentials: { cert: string; key: string }) => void,
  log: Log,
): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const refresh = (reason: string) => {
    clearTimeout(timer);
    // Renewals write two files: wait for both to land before reading.
    timer = setTimeout(async () => {
      try {
        reload(await loadTlsCredentials(tls.certFile, tls.keyFile));
        log({ event: "tls.reload", reason, cert: tls.certFile });
      } catch (error) {
        log({
          level: "error",
          event: "tls.reload_failed",
          reason,
          error: (error as Error).message,
        });
      }
    }, 100);
  };
  const onHup = () => refresh("SIGHUP");
  process.on("SIGHUP", onHup);
  const watchers = [tls.certFile, tls.keyFile].map((file) =>
    watch(file, () => refresh("file changed")),
  );
  return () => {
    clearTimeout(timer);
    process.off("SIGHUP", onHup);
    for (const w of watchers) w.close();
  };
}

let stopSignal: Promise<string> | undefined;

/**
 * Installs the SIGINT/SIGTERM handlers of a server command and resolves with the first signal's
 * name. Call it before anything is started or printed: Bun installs a handler asynchronously, so a
 * signal sent right after a ready line printed before `process.on` killed the process with exit 130
 * (the cause of the flaky `up` test). The handlers stay installed until exit, so there is no window
 * in which the default action applies; a second signal during a slow stop exits at once.
 */
export function trapStopSignals(): Promise<string> {
  stopSignal ??= new Promise((resolve) => {
    let first: string | undefined;
    const onSignal = (signal: string) => {
      if (first !== undefined) process.exit(signal === "SIGINT" ? 130 : 143);
      first = signal;
      resolve(signal);
    };
    process.on("SIGINT", () => onSignal("SIGINT"));
    process.on("SIGTERM", () => onSignal("SIGTERM"));
  });
  return stopSignal;
}

/** Resolves with the signal's name at the first SIGINT or SIGTERM (see trapStopSignals). */
export function waitForStopSignal(): Promise<string> {
  return trapStopSignals();
}

/**
 * The end of every server command: print the bound port if asked (scripts and tests read it),
 * run until SIGINT/SIGTERM, then stop cleanly and exit 0.
 */
export async function serveUntilStopped(
  server: { readonly port: number; readonly tlsPort?: number | undefined; stop(): Promise<void> },
  log: Log,
  printPort: boolean | undefined,
): Promise<number> {
  if (printPort) console.log(server.port);
  if (printPort && server.tlsPort !== undefined) console.log(server.tlsPort); // a second line
  const signal = await waitForStopSignal();
  log({ event: "signal", signal });
  await server.stop();
  return 0;
}

/** Formats rows as an aligned plain-text table. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
