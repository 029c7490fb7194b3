// RedisPair: two connections to one Redis (Bun's built-in RedisClient), one for commands and
// publishing, one that subscribes or blocks on reads, kept up together.
//
// Either connection closing, or a command failing (lost()), drops both: the owner sees one
// onDown, then the pair reconnects with exponential backoff. onDown runs once per outage (the
// first failure, whether the pair was up or had never connected), never once per retry, so a
// service that logs there logs each outage once. Bun's own reconnection and offline queue are
// off: a command sent while Redis is down fails at once instead of waiting in a queue, and the
// owner decides what to keep.

import { RedisClient } from "bun";

/** The two connections of a pair. */
export interface RedisClients {
  /** Commands and PUBLISH. */
  publisher: RedisClient;
  /** SUBSCRIBE, or blocking reads (XREAD BLOCK). */
  subscriber: RedisClient;
}

/** Defaults of RedisPair's options. */
export const REDIS_PAIR_DEFAULTS = {
  /** First reconnection delay, doubled per failed attempt up to reconnectMaxMs. */
  reconnectMinMs: 100,
  reconnectMaxMs: 5000,
  /** A connection attempt gives up after this long (then backoff). */
  connectTimeoutMs: 2000,
} as const;

/** Where to connect, the backoff, and the owner's hooks. */
export interface RedisPairOptions {
  /** redis://host:port */
  url: string;
  /** @default 100 */
  reconnectMinMs?: number;
  /** @default 5000 */
  reconnectMaxMs?: number;
  /** @default 2000 */
  connectTimeoutMs?: number;
  /**
   * Runs on a fresh pair before it counts as connected: subscribe, catch up on what was missed.
   * If it throws, the attempt fails (backoff). `reconnect` is false until the pair was once up.
   */
  prepare?(clients: RedisClients, reconnect: boolean): Promise<void>;
  /** The pair is up (`connected` is true). A rejection counts as losing the pair. */
  onUp?(clients: RedisClients, reconnect: boolean): void | Promise<void>;
  /**
   * Redis became unreachable: once per outage. `wasUp` tells a lost pair from an attempt that
   * failed (Redis down at start); `retryMs` is the delay before the next attempt.
   */
  onDown?(error: unknown, info: { wasUp: boolean; retryMs: number }): void;
}

/** A publisher/subscriber pair that reconnects (see the file comment). */
export class RedisPair {
  readonly #url: string;
  readonly #minMs: number;
  readonly #maxMs: number;
  readonly #timeoutMs: number;
  readonly #o: RedisPairOptions;
  #clients: RedisClients | null = null;
  #stopped = false;
  #connecting = false;
  #everUp = false;
  #downNoted = false;
  #backoffMs: number;
  #retry: ReturnType<typeof setTimeout> | undefined;

  constructor(options: RedisPairOptions) {
    this.#o = options;
    this.#url = options.url;
    this.#minMs = options.reconnectMinMs ?? REDIS_PAIR_DEFAULTS.reconnectMinMs;
    this.#maxMs = options.reconnectMaxMs ?? REDIS_PAIR_DEFAULTS.reconnectMaxMs;
    this.#timeoutMs = options.connectTimeoutMs ?? REDIS_PAIR_DEFAULTS.connectTimeoutMs;
    for (const [name, value] of [
      ["reconnectMinMs", this.#minMs],
      ["reconnectMaxMs", this.#maxMs],
      ["connectTimeoutMs", this.#timeoutMs],
    ] as const) {
      if (!Number.isFinite(value) || value < 1) throw new RangeError(`bad ${name}: ${value}`);
    }
    this.#backoffMs = this.#minMs;
  }

  /** Whether both connections are up (and prepared). */
  get connected(): boolean {
    return this.#clients !== null;
  }

  /** The command connection while connected, else null. */
  get publisher(): RedisClient | null {
    return this.#clients?.publisher ?? null;
  }

  /** The subscribing connection while connected, else null. */
  get subscriber(): RedisClient | null {
    return this.#clients?.subscriber ?? null;
  }

  /** Whether `client` is one of the current pair (a reply from an older pair is stale). */
  isCurrent(client: RedisClient): boolean {
    return client === this.#clients?.publisher || client === this.#clients?.subscriber;
  }

  /** First connection attempt; never throws (Redis down at start: keeps retrying in the background). */
  async start(): Promise<void> {
    await this.#connect();
  }

  /**
   * A command failed: drops the pair and reconnects. With `from`, only if that client belongs to
   * the current pair, so a late failure of an older pair changes nothing.
   */
  lost(error: unknown, from?: RedisClient): void {
    if (!this.#clients || this.#stopped) return;
    if (from && !this.isCurrent(from)) return;
    this.#drop();
    this.#noteDown(error, true);
    this.#scheduleReconnect();
  }

  /** Closes both connections and stops reconnecting. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#drop();
  }

  async #connect(): Promise<void> {
    if (this.#stopped || this.#connecting || this.#clients) return;
    this.#connecting = true;
    const options = {
      autoReconnect: false,
      enableOfflineQueue: false,
      connectionTimeout: this.#timeoutMs,
    };
    const clients: RedisClients = {
      publisher: new RedisClient(this.#url, options),
      subscriber: new RedisClient(this.#url, options),
    };
    // A close during prepare() must fail the attempt rather than leave a dead pair marked up.
    let closed: unknown = null;
    for (const c of [clients.publisher, clients.subscriber]) {
      c.onclose = (error) => {
        if (this.isCurrent(c)) this.lost(error, c);
        else closed ??= error ?? new Error("connection closed");
      };
    }
    const reconnect = this.#everUp;
    try {
      await Promise.all([clients.publisher.connect(), clients.subscriber.connect()]);
      await this.#o.prepare?.(clients, reconnect);
      if (closed) throw closed;
      if (this.#stopped) throw new Error("stopped");
    } catch (error) {
      closeQuietly(clients);
      this.#connecting = false;
      if (!this.#stopped) {
        this.#noteDown(error, false);
        this.#scheduleReconnect();
      }
      return;
    }
    this.#clients = clients;
    this.#connecting = false;
    this.#backoffMs = this.#minMs;
    this.#downNoted = false;
    this.#everUp = true;
    try {
      await this.#o.onUp?.(clients, reconnect);
    } catch (error) {
      this.lost(error, clients.publisher);
    }
  }

  #noteDown(error: unknown, wasUp: boolean): void {
    if (this.#downNoted) return;
    this.#downNoted = true;
    this.#o.onDown?.(error, { wasUp, retryMs: this.#backoffMs });
  }

  #drop(): void {
    const clients = this.#clients;
    this.#clients = null;
    if (clients) closeQuietly(clients);
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#retry !== undefined) return;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#maxMs);
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      void this.#connect();
    }, delay);
  }
}

function closeQuietly(clients: RedisClients): void {
  for (const c of [clients.publisher, clients.subscriber]) {
    c.onclose = null;
    try {
      c.close();
    } catch {
      // already closed
    }
  }
}
