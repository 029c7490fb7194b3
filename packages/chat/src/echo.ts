// Echo service (seed Exercise 1.1): every line comes back, unchanged or upper-cased (--upper).
// Lines, so nc is a client; many clients at once; framing handles split lines, split UTF-8
// characters, a last line without newline (answered, with a newline) and half-closed clients.
import {
  type Listener,
  type Log,
  lines,
  listen,
  silentLog,
  type TlsCredentials,
} from "@netkit/framing";

/** Options of `startEchoServer`; each one left out takes its value from `ECHO_DEFAULTS`. */
export interface EchoServerOptions {
  /** @default "127.0.0.1" */
  hostname?: string;
  /** 0 lets the OS pick; read `port` on the result. @default 5001 */
  port?: number;
  /** Upper-case each line with Unicode rules (ß → SS), as the seed exercise does. @default false */
  upper?: boolean;
  /** Longest line, in bytes; a longer one is answered with an error line and dropped. @default 64 KiB */
  maxLineBytes?: number;
  /** Output allowed to wait for a client that stops reading. @default 1 MiB */
  maxQueuedBytes?: number;
  /** Disconnect a client that sends nothing for this long; 0 = never. @default 300000 */
  idleTimeoutMs?: number;
  /** A line must end within this long of its first byte (plus 1 s per KiB); 0 = never. @default 30000 */
  lineTimeoutMs?: number;
  /** Connections allowed from one IP address; 0 = no cap. @default 64 */
  maxConnectionsPerAddress?: number;
  /** Also serve TLS with this PEM certificate and key, on `tls.port` (default 5101). */
  tls?: TlsCredentials & { port?: number };
  log?: Log;
}

/** What `startEchoServer` uses for an option left out. */
export const ECHO_DEFAULTS = {
  hostname: "127.0.0.1",
  port: 5001,
  upper: false,
  maxLineBytes: 64 * 1024,
  maxQueuedBytes: 1 << 20,
  idleTimeoutMs: 300_000,
  lineTimeoutMs: 30_000,
  maxConnectionsPerAddress: 64,
  tlsPort: 5101,
} as const;

/** A running echo server, as `startEchoServer` resolves it. */
export interface EchoServer {
  readonly hostname: string;
  readonly port: number;
  /** The TLS port, when `tls` was given. */
  readonly tlsPort: number | undefined;
  /** Swaps the TLS certificate; established connections carry on. */
  reloadTls(credentials: TlsCredentials): void;
  stop(): Promise<void>;
}

/** Starts the echo server; resolves once it listens. `stop()` waits for every connection to close. */
export async function startEchoServer(options: EchoServerOptions = {}): Promise<EchoServer> {
  const log = options.log ?? silentLog;
  const upper = options.upper ?? ECHO_DEFAULTS.upper;
  const maxLineBytes = options.maxLineBytes ?? ECHO_DEFAULTS.maxLineBytes;
  const peer = (c: { remoteAddress: string; remotePort: number }) =>
    `${c.remoteAddress}:${c.remotePort}`;
  const listener: Listener<string, string> = listen<string, string>({
    hostname: options.hostname ?? ECHO_DEFAULTS.hostname,
    port: options.port ?? ECHO_DEFAULTS.port,
    protocol: lines({ maxLineBytes, oversize: "drop" }),
    maxQueuedBytes: options.maxQueuedBytes ?? ECHO_DEFAULTS.maxQueuedBytes,
    idleTimeoutMs: options.idleTimeoutMs ?? ECHO_DEFAULTS.idleTimeoutMs,
    messageTimeoutMs: options.lineTimeoutMs ?? ECHO_DEFAULTS.lineTimeoutMs,
    maxConnectionsPerAddress:
      options.maxConnectionsPerAddress ?? ECHO_DEFAULTS.maxConnectionsPerAddress,
    rejectMessage: ({ reason, address, limit }) =>
      reason === "per-address cap"
        ? `error TOO_MANY_CONNECTIONS: at most ${limit} connections from ${address} are allowed`
        : "error TOO_MANY_CONNECTIONS: the server is full",
    tls: options.tls && { ...options.tls, port: options.tls.port ?? ECHO_DEFAULTS.tlsPort },
    log,
    onConnection(conn) {
      log({ event: "conn.open", peer: peer(conn) });
    },
    onMessage(conn, line) {
      // toUpperCase applies Unicode's default full case mapping, independent of the locale.
      conn.send(upper ? line.toUpperCase() : line);
    },
    onRecoverableError(conn, error) {
      log({ level: "warn", event: "echo.line_too_long", peer: peer(conn), bytes: error.size });
      conn.send(`error LINE_TOO_LONG: lines are limited to ${maxLineBytes} bytes; it was dropped`);
    },
    onClose(conn, error) {
      log({
        level: error ? "warn" : "info",
        event: "conn.close",
        peer: peer(conn),
        bytesIn: conn.stats.bytesIn,
        reason: (error as { code?: string } | undefined)?.code ?? error?.message,
      });
    },
  });
  log({
    event: "echo.listening",
    host: listener.hostname,
    port: listener.port,
    tlsPort: listener.tlsPort,
    upper,
  });
  return {
    hostname: listener.hostname,
    port: listener.port,
    tlsPort: listener.tlsPort,
    reloadTls: (credentials) => listener.reloadTls(credentials),
    stop: () => listener.stop(true),
  };
}
