// BBS transport: the seed's protocol on @netkit/framing length-prefixed frames over Bun sockets.
// One Session per connection; a frame is handled (and stored) before the next one is handed to it.

import {
  type Connection,
  frames,
  type Listener,
  type Log,
  listen,
  type TlsCredentials,
} from "@netkit/framing";
import { Board, type BoardOptions } from "./board.ts";
import { BbsCluster, type ClusterOptions } from "./cluster.ts";
import { BBS_DEFAULTS, type SynchronousMode } from "./defaults.ts";
import { encodeFrameChunks } from "./encode.ts";
import { BbsError } from "./errors.ts";
import { type Later, type Listing, type Reply, Session, STORAGE_UNAVAILABLE } from "./session.ts";
import { PgStore } from "./store/postgres.ts";
import { BbsStore } from "./store/store.ts";
import type { BbsStorage } from "./store/types.ts";

/** A client connection: length-prefixed frames in, frames (or strings sent as frames) out. */
type Peer = Connection<Uint8Array, Uint8Array | string>;

/** Options of `startBbsServer`; each one left out takes its value from `BBS_DEFAULTS`. */
export interface BbsServerOptions extends BoardOptions {
  /** @default "127.0.0.1" */
  hostname?: string;
  /** 0: any free port. @default 10333 */
  port?: number;
  /** SQLite file (its folder is created), or ":memory:". @default "./data/bbs.sqlite" */
  dbPath?: string;
  /** @default "NORMAL" */
  synchronous?: SynchronousMode;
  /**
   * Store in PostgreSQL (postgres://user:pass@host:port/db) instead of SQLite; dbPath and
   * synchronous are then unused. Several instances may share one database.
   */
  postgresUrl?: string;
  /** Share presence and registrations with other instances through Redis (redis://host:port). */
  redisUrl?: string;
  /** Tuning of the Redis link (tests); url, names and callbacks are filled in by the server. */
  cluster?: Partial<Omit<ClusterOptions, "url" | "localNames" | "onRegistered" | "onConnected">>;
  /** @default 64 KiB */
  maxFrameBytes?: number;
  /** @default 1 MiB */
  maxQueuedBytes?: number;
  /** @default 30 000 */
  stallTimeoutMs?: number;
  /** @default 30 min */
  idleTimeoutMs?: number;
  /** @default 10 000 */
  maxConnections?: number;
  /** Connections from one source address; 0 = no cap. @default 64 */
  maxConnectionsPerAddress?: number;
  /** A frame must complete within this of its first byte (+1 s/KiB); 0 = off. @default 10 000 */
  messageTimeoutMs?: number;
  /** The rate allowance of `messageTimeoutMs`: one more second per this many bytes. @default 1024 */
  minInputBytesPerSecond?: number;
  /** Partial input all clients may hold together. @default 32 MiB */
  maxBufferedInputBytes?: number;
  /** A client not taking its replies for this long is disconnected. @default 30 000 */
  sendTimeoutMs?: number;
  /** Also serve the BBS over TLS with this PEM certificate and key, on `tls.port` (10433). */
  tls?: TlsCredentials & { port?: number };
  /** Received bytes held behind a command in flight before reading from that client pauses. @default 1 MiB */
  maxHeldInputBytes?: number;
  log?: Log;
}

/** A running board, as `startBbsServer` resolves it. */
export interface BbsServer {
  readonly hostname: string;
  readonly port: number;
  /** The TLS port, when `tls` was given. */
  readonly tlsPort: number | undefined;
  /** Swaps the TLS certificate; established connections carry on. */
  reloadTls(credentials: TlsCredentials): void;
  readonly board: Board;
  readonly store: BbsStorage;
  /** The Redis link, when redisUrl was given. */
  readonly cluster: BbsCluster | null;
  /** Number of open connections. */
  readonly connectionCount: number;
  /** Stops accepting, closes every session (flushing replies), commits and closes the store. */
  stop(): Promise<void>;
}

/** Opens (and migrates) the store, then listens; resolves once it listens. `stop()` waits for every session to close and the store to commit. */
export async function startBbsServer(options: BbsServerOptions = {}): Promise<BbsServer> {
  const log: Log = options.log ?? (() => {});
  const maxQueuedBytes = options.maxQueuedBytes ?? BBS_DEFAULTS.maxQueuedBytes;
  if (!Number.isInteger(maxQueuedBytes) || maxQueuedBytes < 256 * 1024) {
    throw new RangeError("maxQueuedBytes must be an integer >= 256 KiB");
  }
  const stallTimeoutMs = options.stallTimeoutMs ?? BBS_DEFAULTS.stallTimeoutMs;
  const maxFrameBytes = options.maxFrameBytes ?? BBS_DEFAULTS.maxFrameBytes;
  const store: BbsStorage = options.postgresUrl
    ? await PgStore.open({ url: options.postgresUrl })
    : new BbsStore({
        path: options.dbPath ?? BBS_DEFAULTS.dbPath,
        synchronous: options.synchronous ?? BBS_DEFAULTS.synchronous,
      });
  const board = new Board(store, { ...options, log });
  let cluster: BbsCluster | null = null;
  try {
    await board.accounts.reload();
    if (options.redisUrl) {
      const link = new BbsCluster({
        ...options.cluster,
        url: options.redisUrl,
        log,
        localNames: () => board.online(),
        onRegistered: (name) => board.accounts.markRegistered(name),
        onConnected: () => board.accounts.reload(),
      });
      cluster = link;
      board.presence = link;
      board.accounts.onRegistered = (name) => link.announceRegistered(name);
      await link.start();
    }
  } catch (error) {
    await cluster?.stop();
    await store.close();
    throw error;
  }
  /** Chunks of a listing stay well under the queue limit so one always fits once it drains. */
  const chunkBytes = Math.min(64 * 1024, maxQueuedBytes / 4);

  async function sendListing(conn: Peer, listing: Listing): Promise<boolean> {
    conn.send(String(listing.count));
    for await (const page of listing.pages) {
      for (const chunk of encodeFrameChunks(page, chunkBytes)) {
        if (conn.queuedBytes + chunk.length > maxQueuedBytes) {
          // The reader is slower than SQLite: wait for the socket to drain, up to the stall limit.
          if (!(await drainedWithin(conn, stallTimeoutMs))) {
            if (conn.isClosed) return false;
            log({
              level: "warn",
              event: "conn.stalled",
              peer: peer(conn),
              queued: conn.queuedBytes,
            });
            conn.destroy();
            return false;
          }
          if (conn.isClosed) return false;
        }
        if (!conn.sendBytes(chunk)) return false;
      }
    }
    return true;
  }

  /** A command failed: never pretend it was stored. */
  function fail(conn: Peer, error: unknown): void {
    if (error instanceof BbsError && error.code === "STORAGE_UNAVAILABLE") {
      // The command was not stored, and the protocol may have no reply for it.
      log({
        level: "error",
        event: "storage.unavailable",
        peer: peer(conn),
        error: error.message,
      });
      conn.close(STORAGE_UNAVAILABLE);
      return;
    }
    log({ level: "error", event: "session.error", peer: peer(conn), error: String(error) });
    conn.close("error: internal server error");
  }

  /** Sends a reply; true when the next frame may be handled now (no listing still streaming). */
  function deliver(conn: Peer, reply: Reply): boolean {
    for (const f of reply.frames) conn.send(f);
    if (reply.listing) {
      conn.hold();
      sendListing(conn, reply.listing).then(
        (ok) => {
          if (!ok) conn.close();
          else if (reply.close) conn.close();
          else conn.proceed();
        },
        (error) => fail(conn, error),
      );
      return false;
    }
    if (reply.close) conn.close();
    return true;
  }

  const states = new Map<Peer, PeerState>();

  /** Per connection: its session, and where a reply that must wait (a commit) comes back. */
  class PeerState implements Later {
    readonly session: Session;
    readonly conn: Peer;
    constructor(conn: Peer) {
      this.conn = conn;
      this.session = new Session(board, conn.remoteAddress);
    }
    // Arrow properties: handed to Session.handleNow as is, allocated once per connection.
    readonly resolve = (reply: Reply): void => {
      if (deliver(this.conn, reply)) this.conn.proceed();
    };
    readonly reject = (error: unknown): void => fail(this.conn, error);
  }

  let listener: Listener<Uint8Array, Uint8Array | string>;
  try {
    listener = listen<Uint8Array, Uint8Array | string>({
      hostname: options.hostname ?? BBS_DEFAULTS.hostname,
      port: options.port ?? BBS_DEFAULTS.port,
      protocol: frames({ maxFrameBytes }),
      maxQueuedBytes,
      maxHeldInputBytes: options.maxHeldInputBytes ?? BBS_DEFAULTS.maxHeldInputBytes,
      idleTimeoutMs: options.idleTimeoutMs ?? BBS_DEFAULTS.idleTimeoutMs,
      maxConnections: options.maxConnections ?? BBS_DEFAULTS.maxConnections,
      maxConnectionsPerAddress:
        options.maxConnectionsPerAddress ?? BBS_DEFAULTS.maxConnectionsPerAddress,
      messageTimeoutMs: options.messageTimeoutMs ?? BBS_DEFAULTS.messageTimeoutMs,
      ...(options.minInputBytesPerSecond !== undefined && {
        minInputBytesPerSecond: options.minInputBytesPerSecond,
      }),
      maxBufferedInputBytes: options.maxBufferedInputBytes ?? BBS_DEFAULTS.maxBufferedInputBytes,
      sendTimeoutMs: options.sendTimeoutMs ?? BBS_DEFAULTS.sendTimeoutMs,
      closeTimeoutMs: BBS_DEFAULTS.closeTimeoutMs,
      rejectMessage: "error: server full",
      tls: options.tls && { ...options.tls, port: options.tls.port ?? BBS_DEFAULTS.tlsPort },
      log,
      onConnection(conn) {
        const state = new PeerState(conn);
        states.set(conn, state);
        conn.send(state.session.banner());
      },
      onMessage(conn, frame) {
        const state = states.get(conn);
        if (!state) return;
        let reply: Reply | null;
        try {
          reply = state.session.handleNow(frame, state);
        } catch (error) {
          fail(conn, error);
          return;
        }
        // null: stored (or answered) later; state.resolve then goes on with the next frame.
        if (reply === null) conn.hold();
        else deliver(conn, reply);
      },
      onClose(conn, error) {
        states.get(conn)?.session.end();
        states.delete(conn);
        if (error) {
          const code = (error as { code?: string }).code ?? error.message;
          log({ level: "warn", event: "conn.dropped", peer: peer(conn), reason: code });
        }
      },
    });
  } catch (error) {
    await cluster?.stop();
    await store.close();
    throw error;
  }
  log({
    level: "info",
    event: "listening",
    host: listener.hostname,
    port: listener.port,
    tlsPort: listener.tlsPort,
    store: store.engine,
    db: store.location,
    redis: cluster ? cluster.instanceId : undefined,
  });

  let stopping: Promise<void> | undefined;
  return {
    hostname: listener.hostname,
    port: listener.port,
    tlsPort: listener.tlsPort,
    reloadTls: (credentials) => listener.reloadTls(credentials),
    board,
    store,
    cluster,
    get connectionCount() {
      return listener.connections.size;
    },
    stop() {
      stopping ??= (async () => {
        await listener.stop();
        await cluster?.stop();
        await store.close();
        log({ level: "info", event: "stopped" });
      })();
      return stopping;
    },
  };
}

function peer(conn: Peer): string {
  return `${conn.remoteAddress}:${conn.remotePort}`;
}

/** Resolves true once everything queued to `conn` reached the kernel, false after `timeoutMs`. */
function drainedWithin(conn: Peer, timeoutMs: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  return Promise.race([conn.drained().then(() => true), stalled]).finally(() =>
    clearTimeout(timer),
  );
}
