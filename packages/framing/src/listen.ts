// listen(): a TCP server whose peers are Connections speaking one protocol.
import type { Socket, SocketHandler } from "bun";
import {
  Connection,
  type ConnectionHooks,
  type ConnectionOptions,
  type SocketSlot,
} from "./connection.ts";
import type { FramingError } from "./errors.ts";
import { InputBudget } from "./input-budget.ts";
import { type Log, silentLog } from "./log.ts";
import type { Protocol } from "./protocol.ts";
import { checkTlsCredentials, type ListenTlsOptions, type TlsCredentials } from "./tls.ts";

/** Options of `listen`: address, protocol, caps, TLS, and the hooks that receive connections and messages. */
export interface ListenOptions<In, Out> extends ConnectionOptions, ConnectionHooks<In, Out> {
  /** @default "127.0.0.1" */
  hostname?: string;
  /** 0 lets the OS pick; read `port` on the result. */
  port: number;
  protocol: Protocol<In, Out>;
  /** Peers beyond this many are closed at once (after `rejectMessage`, if given). @default 10000 */
  maxConnections?: number;
  /** Connections allowed from one source address; 0 = no per-address cap. @default 64 */
  maxConnectionsPerAddress?: number;
  /**
   * Sent to a peer refused by `maxConnections` or `maxConnectionsPerAddress`, or a function that
   * words it for the refusal.
   */
  rejectMessage?: Out | ((refusal: Refusal) => Out);
  /**
   * Bytes of partial input (incomplete messages, input held behind `hold()`) all connections may
   * hold together; past it the connections holding the most are closed first. 0 = off. @default 32 MiB
   */
  maxBufferedInputBytes?: number;
  /**
   * Also serve TLS on `tls.port` with this certificate and key (PEM), the same protocol, limits
   * and connection set. A bad or mismatched pair throws TlsError at once.
   */
  tls?: ListenTlsOptions;
  log?: Log;
  /**
   * A new peer. Pull-mode servers loop on `connection.receive()` here; when the returned promise
   * settles, the connection is closed (after its queued output is flushed).
   */
  onConnection?(connection: Connection<In, Out>): void | Promise<void>;
  /** The peer is gone; `error` says why if it was not a clean close. */
  onClose?(connection: Connection<In, Out>, error?: Error): void;
}

/** Why listen() refused a new peer. */
export interface Refusal {
  reason: "connection cap" | "per-address cap";
  address: string;
  /** The cap that was reached. */
  limit: number;
}

/** A listening server, as `listen` returns it. */
export interface Listener<In, Out> {
  readonly hostname: string;
  readonly port: number;
  /** The TLS port, when `tls` was given. */
  readonly tlsPort: number | undefined;
  /**
   * Swaps the TLS certificate without dropping anyone: new connections get the new one,
   * established ones carry on. Throws TlsError (and keeps the old one) if the pair is unusable.
   */
  reloadTls(credentials: TlsCredentials): void;
  readonly connections: ReadonlySet<Connection<In, Out>>;
  /** Stops accepting; by default also closes every peer (flushing each) and waits for them. */
  stop(closeActive?: boolean): Promise<void>;
}

/** What `listen` uses for an option left out (`--help` shows these). */
export const LISTEN_DEFAULTS = {
  hostname: "127.0.0.1",
  maxConnections: 10_000,
  maxConnectionsPerAddress: 64,
  maxBufferedInputBytes: 32 << 20,
  /** Servers close silent peers: five minutes, far beyond any pause in a live session. */
  idleTimeoutMs: 300_000,
} as const;

/** Starts a TCP server; each accepted socket becomes a Connection. */
export function listen<In, Out>(options: ListenOptions<In, Out>): Listener<In, Out> {
  const log = options.log ?? silentLog;
  const maxConnections = options.maxConnections ?? LISTEN_DEFAULTS.maxConnections;
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    throw new RangeError("maxConnections must be a positive integer");
  }
  const perAddress = options.maxConnectionsPerAddress ?? LISTEN_DEFAULTS.maxConnectionsPerAddress;
  if (!Number.isInteger(perAddress) || perAddress < 0) {
    throw new RangeError("maxConnectionsPerAddress must be a non-negative integer");
  }
  const budget = new InputBudget(
    options.maxBufferedInputBytes ?? LISTEN_DEFAULTS.maxBufferedInputBytes,
  );
  const connectionOptions = {
    ...options,
    idleTimeoutMs: options.idleTimeoutMs ?? LISTEN_DEFAULTS.idleTimeoutMs,
  };
  const byAddress = new Map<string, number>();
  const connections = new Set<Connection<In, Out>>();
  const peer = (c: Connection<In, Out>) => `${c.remoteAddress}:${c.remotePort}`;

  const start = (connection: Connection<In, Out>) => {
    let result: void | Promise<void>;
    try {
      result = options.onConnection?.(connection);
    } catch (error) {
      log({
        level: "error",
        event: "conn.handler_error",
        peer: peer(connection),
        error: String(error),
      });
      connection.close();
      return;
    }
    if (result instanceof Promise) {
      result.then(
        () => connection.close(),
        (error) => {
          log({
            level: "error",
            event: "conn.handler_error",
            peer: peer(connection),
            error: String(error),
          });
          connection.close();
        },
      );
    }
  };

  const socket: SocketHandler<SocketSlot, "uint8array"> = {
    binaryType: "uint8array",
    open(s) {
      const connection = new Connection<In, Out>(
        s as Socket<SocketSlot>,
        options.protocol,
        connectionOptions,
        options,
        budget,
      );
      const address = connection.remoteAddress;
      const fromAddress = (byAddress.get(address) ?? 0) + 1;
      const reason =
        connections.size >= maxConnections
          ? "connection cap"
          : perAddress > 0 && fromAddress > perAddress
            ? "per-address cap"
            : undefined;
      if (reason) {
        log({ level: "warn", event: "conn.rejected", peer: peer(connection), reason });
        const reject = options.rejectMessage;
        const limit = reason === "connection cap" ? maxConnections : perAddress;
        connection.close(
          typeof reject === "function"
            ? (reject as (refusal: Refusal) => Out)({ reason, address, limit })
            : reject,
        );
        return;
      }
      byAddress.set(address, fromAddress);
      connections.add(connection);
      log({ level: "debug", event: "conn.open", peer: peer(connection) });
      start(connection);
    },
    data(s, chunk) {
      s.data.connection?.handleData(chunk);
    },
    drain(s) {
      s.data.connection?.handleDrain();
    },
    end(s) {
      s.data.connection?.handleEnd();
    },
    close(s, error) {
      const connection = s.data.connection as Connection<In, Out> | undefined;
      if (!connection) return;
      connection.handleClose(error);
      if (!connections.delete(connection)) return;
      const left = (byAddress.get(connection.remoteAddress) ?? 1) - 1;
      if (left > 0) byAddress.set(connection.remoteAddress, left);
      else byAddress.delete(connection.remoteAddress);
      const cause = connection.error;
      const reason = (cause as FramingError | undefined)?.code ?? cause?.message;
      // A peer cut off by a defence gets one line at warn, the same in every service.
      const defended =
        reason === "MESSAGE_TIMEOUT" ||
        reason === "SEND_TIMEOUT" ||
        reason === "QUEUE_OVERFLOW" ||
        reason === "INPUT_BUDGET";
      log({
        level: defended ? "warn" : "debug",
        event: "conn.close",
        peer: peer(connection),
        reason,
        detail: defended ? cause?.message : undefined,
      });
      options.onClose?.(connection, cause);
    },
    error(s, error) {
      // A handler threw: never let one peer take the server down.
      log({ level: "error", event: "conn.error", error: String(error) });
      s.data.connection?.destroy(error);
    },
  };

  const hostname = options.hostname ?? LISTEN_DEFAULTS.hostname;
  const open = (port: number, tls?: TlsCredentials) =>
    Bun.listen<SocketSlot>({
      hostname,
      port,
      allowHalfOpen: true,
      // A TLS listener is replaced on reload by a second one on the same port (Bun's reload()
      // keeps the old certificate), which needs SO_REUSEPORT on both.
      ...(tls ? { tls, reusePort: true } : {}),
      data: tls ? { secure: true } : {},
      socket: socket as unknown as SocketHandler<SocketSlot>, // binaryType "uint8array": slice() copies
    });
  if (options.tls) checkTlsCredentials(options.tls);
  const server = open(options.port);
  let tlsServer: ReturnType<typeof open> | undefined;
  try {
    tlsServer = options.tls ? open(options.tls.port, options.tls) : undefined;
  } catch (error) {
    server.stop(true);
    throw error;
  }
  const tlsPort = tlsServer?.port;

  return {
    hostname: server.hostname,
    port: server.port,
    tlsPort,
    connections,
    reloadTls(credentials) {
      if (!tlsServer || tlsPort === undefined) throw new Error("this listener serves no TLS");
      checkTlsCredentials(credentials);
      const next = open(tlsPort, credentials);
      tlsServer.stop(false); // established TLS connections carry on
      tlsServer = next;
      log({ event: "tls.reloaded", port: tlsPort });
    },
    async stop(closeActive = true) {
      server.stop(false);
      tlsServer?.stop(false);
      if (!closeActive) return;
      const waits = [...connections].map((c) => {
        c.close();
        return c.closed;
      });
      await Promise.all(waits);
      server.stop(true);
      tlsServer?.stop(true);
    },
  };
}
