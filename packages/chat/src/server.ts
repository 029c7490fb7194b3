// Chat server transport: framing's line Connections in push mode, one ChatSession per peer.
// Each broadcast line is encoded once (Room encode = encodeLine) and the same bytes go to every
// receiver. Output is held up to `coalesceMs` (Coalescer: in a busy room, a third of the clients
// after each message), then each peer's held bytes leave in one write (Connection.sendBytesNow).
import {
  type Connection,
  encodeLine,
  type FramingError,
  type Listener,
  type Log,
  lines,
  listen,
  silentLog,
  type TlsCredentials,
} from "@netkit/framing";
import { Coalescer } from "./coalesce.ts";
import { ChatError } from "./errors.ts";
import { type RedisLinkOptions, RedisRoomLink } from "./redis.ts";
import { ROOM_DEFAULTS, Room } from "./room.ts";
import { ChatSession, SESSION_DEFAULTS } from "./session.ts";

/** Options of `startChatServer`; each one left out takes its value from `CHAT_DEFAULTS`. */
export interface ChatServerOptions {
  /** @default "127.0.0.1" */
  hostname?: string;
  /** 0 lets the OS pick; read `port` on the result. @default 5002 */
  port?: number;
  /** Longest line a client may send, in bytes; a longer one is dropped with an error line. @default 4096 */
  maxLineBytes?: number;
  /** Output allowed to wait for a client that stops reading; past it, it is disconnected. @default 1 MiB */
  maxQueuedBytes?: number;
  /** Disconnect a client that sends nothing for this long (with a reason line); 0 = never. @default 600000 */
  idleTimeoutMs?: number;
  /**
   * A line must end within this long of its first byte (plus 1 s per KiB), however slowly its
   * bytes come; 0 = no deadline. 30 s: nc sends whole lines, and even a person on telnet in
   * character mode finishes a line in that time. @default 30000
   */
  lineTimeoutMs?: number;
  /** Connections allowed from one IP address; 0 = no cap. @default 50 */
  maxConnectionsPerAddress?: number;
  /** Connections allowed in total. @default 10000 */
  maxConnections?: number;
  /** Flood limit: a burst of this many lines; 0 turns the limit off. @default 10 */
  floodBurst?: number;
  /** Flood limit: then this many lines per second; 0 turns the limit off. @default 5 */
  floodLinesPerSecond?: number;
  /** Messages replayed to a newcomer. @default 20 */
  historySize?: number;
  /**
   * The longest output may wait to be coalesced with more output, in ms; 0 = one write per
   * client per event-loop turn. Writes (one syscall each) are most of a busy server's CPU: in a
   * busy room each client gets one write per three messages, released right after a message
   * arrives, and a quiet room's lines go out at once (see coalesce.ts). 14 ms is far below what
   * a person notices; see the bench in README.md for the latency/CPU trade. @default 14
   */
  coalesceMs?: number;
  /**
   * Share the room with other instances through Redis: a `redis://host:port` URL, or the link's
   * options (room name, name TTL, ...). Without it the room is in-process only. See README.md.
   */
  redis?: string | Omit<RedisLinkOptions, "log">;
  /** Also serve the room over TLS with this PEM certificate and key, on `tls.port` (default 5102). */
  tls?: TlsCredentials & { port?: number };
  log?: Log;
}

/** What `startChatServer` uses for an option left out (`--help` shows these). */
export const CHAT_DEFAULTS = {
  hostname: "127.0.0.1",
  port: 5002,
  maxLineBytes: 4096,
  maxQueuedBytes: 1 << 20,
  /** Ten minutes: an IRC server's ping timeout is a few minutes; a quiet room is not idle people. */
  idleTimeoutMs: 600_000,
  lineTimeoutMs: 30_000,
  maxConnectionsPerAddress: 50,
  maxConnections: 10_000,
  floodBurst: SESSION_DEFAULTS.floodBurst,
  floodLinesPerSecond: SESSION_DEFAULTS.floodLinesPerSecond,
  historySize: ROOM_DEFAULTS.historySize,
  coalesceMs: 14,
  tlsPort: 5102,
} as const;

/** A running chat server, as `startChatServer` resolves it. */
export interface ChatServer {
  readonly hostname: string;
  readonly port: number;
  /** The TLS port, when `tls` was given. */
  readonly tlsPort: number | undefined;
  /** Swaps the TLS certificate; established connections carry on. */
  reloadTls(credentials: TlsCredentials): void;
  /** Names of the people in the room, in join order. */
  names(): string[];
  /** Open connections (named or not). */
  readonly connectionCount: number;
  /** The Redis link when `redis` was given (`connected`, `waitConnected()`, `stats`). */
  readonly redis: RedisRoomLink<Uint8Array> | undefined;
  /** Stops accepting, tells every client, closes them (flushing) and waits. */
  stop(): Promise<void>;
}

type Conn = Connection<string, string>;

interface Peer {
  session: ChatSession<Uint8Array>;
  lastInputMs: number;
}

function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  }
  return value;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/** Why a connection ended, as the others see it in `* name left (reason)`. */
function leaveReason(error: Error | undefined): string | undefined {
  const code = (error as FramingError | undefined)?.code;
  if (code === "QUEUE_OVERFLOW") return "disconnected: not reading its messages";
  if (code === "IDLE_TIMEOUT") return "idle";
  if (code === "MESSAGE_TIMEOUT") return "disconnected: a line that never ended";
  return error ? "connection lost" : undefined;
}

/** Starts the chat server; resolves once it listens (`port` is the bound one). `stop()` waits for every connection to close. */
export async function startChatServer(options: ChatServerOptions = {}): Promise<ChatServer> {
  const log = options.log ?? silentLog;
  const maxLineBytes = positiveInteger(
    "maxLineBytes",
    options.maxLineBytes ?? CHAT_DEFAULTS.maxLineBytes,
  );
  const maxQueuedBytes = positiveInteger(
    "maxQueuedBytes",
    options.maxQueuedBytes ?? CHAT_DEFAULTS.maxQueuedBytes,
  );
  const idleTimeoutMs = nonNegativeInteger(
    "idleTimeoutMs",
    options.idleTimeoutMs ?? CHAT_DEFAULTS.idleTimeoutMs,
  );
  const perAddress = nonNegativeInteger(
    "maxConnectionsPerAddress",
    options.maxConnectionsPerAddress ?? CHAT_DEFAULTS.maxConnectionsPerAddress,
  );
  const floodBurst = nonNegativeInteger(
    "floodBurst",
    options.floodBurst ?? CHAT_DEFAULTS.floodBurst,
  );
  const floodLinesPerSecond = nonNegativeInteger(
    "floodLinesPerSecond",
    options.floodLinesPerSecond ?? CHAT_DEFAULTS.floodLinesPerSecond,
  );
  const redisOptions = typeof options.redis === "string" ? { url: options.redis } : options.redis;
  const link = redisOptions ? new RedisRoomLink<Uint8Array>({ ...redisOptions, log }) : undefined;
  const room = new Room<Uint8Array>({
    encode: encodeLine,
    historySize: options.historySize ?? CHAT_DEFAULTS.historySize,
    onEvent: link ? (event) => link.publish(event) : undefined,
  });
  const peers = new Map<Conn, Peer>();
  const coalescer = new Coalescer(options.coalesceMs ?? CHAT_DEFAULTS.coalesceMs);
  const peerName = (c: Conn) => `${c.remoteAddress}:${c.remotePort}`;

  // Half a line left when a client disconnects is dropped: never broadcast, never in history.
  // A line that is not UTF-8 is refused with an error line, as the text policy refuses the rest.
  const protocol = lines({
    maxLineBytes,
    oversize: "drop",
    unterminated: "drop",
    invalidUtf8: "drop",
  });

  const listener: Listener<string, string> = listen<string, string>({
    hostname: options.hostname ?? CHAT_DEFAULTS.hostname,
    port: options.port ?? CHAT_DEFAULTS.port,
    protocol,
    maxQueuedBytes,
    maxConnections: positiveInteger(
      "maxConnections",
      options.maxConnections ?? CHAT_DEFAULTS.maxConnections,
    ),
    maxConnectionsPerAddress: perAddress,
    tls: options.tls && { ...options.tls, port: options.tls.port ?? CHAT_DEFAULTS.tlsPort },
    // The room's idle sweep below says why before closing; framing's would close silently.
    idleTimeoutMs: 0,
    messageTimeoutMs: nonNegativeInteger(
      "lineTimeoutMs",
      options.lineTimeoutMs ?? CHAT_DEFAULTS.lineTimeoutMs,
    ),
    rejectMessage: ({ reason, address, limit }) =>
      new ChatError(
        "TOO_MANY_CONNECTIONS",
        reason === "per-address cap"
          ? `at most ${limit} connections from ${address} are allowed`
          : "the server is full",
      ).toLine(),
    log,
    // The peer half-closed: let what is held for it go out before framing closes the connection.
    onEnd: () => coalescer.releaseAll(),
    onConnection(conn) {
      const outbox = coalescer.outbox(conn);
      const session = new ChatSession<Uint8Array>({
        room,
        cluster: link,
        send: (bytes) => outbox.send(bytes),
        close: () => {
          if (outbox.heldCount > 0) coalescer.releaseAll(); // what was said goes out first
          conn.close();
        },
        floodBurst,
        floodLinesPerSecond,
        remote: peerName(conn),
        log,
      });
      peers.set(conn, { session, lastInputMs: performance.now() });
      log({ event: "conn.open", peer: peerName(conn) });
      session.start();
    },
    onMessage(conn, line) {
      const peer = peers.get(conn);
      if (!peer) return;
      peer.lastInputMs = performance.now();
      peer.session.handleLine(line);
    },
    onRecoverableError(conn, error) {
      const peer = peers.get(conn);
      if (!peer) return;
      if (error.code === "INVALID_UTF8") {
        peer.lastInputMs = performance.now();
        log({ level: "warn", event: "chat.invalid_utf8", peer: peerName(conn) });
        peer.session.invalidUtf8(error.message);
        return;
      }
      if (error.code !== "LINE_TOO_LONG") return;
      peer.lastInputMs = performance.now();
      log({ level: "warn", event: "chat.line_too_long", peer: peerName(conn), bytes: error.size });
      peer.session.lineTooLong(maxLineBytes);
    },
    onClose(conn, error) {
      const peer = peers.get(conn);
      if (!peer) return;
      peers.delete(conn);
      const reason = leaveReason(error);
      log({
        level: error ? "warn" : "info",
        event: "conn.close",
        peer: peerName(conn),
        name: peer.session.name,
        reason: (error as FramingError | undefined)?.code ?? error?.message,
      });
      // A close can fire synchronously inside a broadcast (a send that overflowed a slow
      // reader's queue); announce the departure after that broadcast has finished.
      queueMicrotask(() => peer.session.disconnected(reason));
    },
  });

  // Idle timeout: one sweep for all peers, so the reason line can be sent before closing.
  let sweep: ReturnType<typeof setInterval> | undefined;
  if (idleTimeoutMs > 0) {
    sweep = setInterval(
      () => {
        const now = performance.now();
        for (const peer of peers.values()) {
          if (now - peer.lastInputMs >= idleTimeoutMs) {
            peer.session.kick(
              new ChatError("IDLE_TIMEOUT", `nothing received for ${idleTimeoutMs} ms; goodbye`),
            );
          }
        }
      },
      Math.max(10, Math.min(1000, Math.floor(idleTimeoutMs / 4))),
    );
  }

  link?.attach(room);
  log({
    event: "chat.listening",
    host: listener.hostname,
    port: listener.port,
    tlsPort: listener.tlsPort,
    instance: link?.instanceId,
  });
  return {
    hostname: listener.hostname,
    port: listener.port,
    tlsPort: listener.tlsPort,
    reloadTls: (credentials) => listener.reloadTls(credentials),
    names: () => room.names(),
    get connectionCount() {
      return listener.connections.size;
    },
    redis: link,
    async stop() {
      clearInterval(sweep);
      coalescer.releaseAll();
      for (const peer of peers.values()) {
        peer.session.kick(new ChatError("SERVER_STOPPING", "the server is shutting down"), false);
      }
      await listener.stop(true);
      await link?.stop();
      log({ event: "chat.stopped" });
    },
  };
}
