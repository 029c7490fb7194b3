// MessageBus: instances tell each other "message N exists" through Redis pub/sub (Bun's built-in
// RedisClient; one connection publishes, a second one subscribes).
//
// The shared store stays the source of truth: an announcement only wakes the long polls waiting
// on this instance, which then read from the store. Nothing is carried that the store does not
// have, so a lost or duplicated announcement can only cost latency, never a message. While Redis
// is down, long polls fall back to the periodic store check (see routes/app.ts).
//
// Redis down: logged once per outage, reconnect with exponential backoff; announcements made
// meanwhile are dropped (the other instances' periodic check covers them).
import type { Log } from "@netkit/framing";
import { RedisClient } from "bun";

export const BUS_DEFAULTS = {
  /** Channel name; several chats can share one Redis with different channels. */
  channel: "netkit:httpchat:messages",
  /** Reconnect backoff: first delay, doubled up to the max. */
  reconnectMinMs: 100,
  reconnectMaxMs: 5000,
  /** Connecting to Redis gives up after this long (then backoff). */
  connectTimeoutMs: 2000,
} as const;

export interface MessageBusOptions {
  url: string;
  channel?: string;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  connectTimeoutMs?: number;
  log?: Log;
  /** Another instance (or this one) announced that message `id` is committed. */
  onMessage(id: number): void;
  /** (Re)connected: announcements may have been missed meanwhile. */
  onConnected?(): void;
}

export class MessageBus {
  readonly #url: string;
  readonly #channel: string;
  readonly #minMs: number;
  readonly #maxMs: number;
  readonly #timeoutMs: number;
  readonly #log: Log;
  readonly #onMessage: (id: number) => void;
  readonly #onConnected: () => void;
  #pub: RedisClient | null = null;
  #sub: RedisClient | null = null;
  #stopped = false;
  #connecting = false;
  #backoffMs: number;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #wasConnected = false;
  /** Highest id announced but not yet published (announcements of one turn are merged). */
  #pendingId = 0;

  constructor(options: MessageBusOptions) {
    this.#url = options.url;
    this.#channel = options.channel ?? BUS_DEFAULTS.channel;
    this.#minMs = options.reconnectMinMs ?? BUS_DEFAULTS.reconnectMinMs;
    this.#maxMs = options.reconnectMaxMs ?? BUS_DEFAULTS.reconnectMaxMs;
    this.#timeoutMs = options.connectTimeoutMs ?? BUS_DEFAULTS.connectTimeoutMs;
    this.#log = options.log ?? (() => {});
    this.#onMessage = options.onMessage;
    this.#onConnected = options.onConnected ?? (() => {});
    this.#backoffMs = this.#minMs;
  }

  get connected(): boolean {
    return this.#pub !== null;
  }

  /** First connection attempt; never throws (Redis down at start: keeps retrying). */
  async start(): Promise<void> {
    await this.#connect();
  }

  /** Announces that message `id` is committed; announcements of one turn go out as one PUBLISH. */
  announce(id: number): void {
    if (!this.#pub) return;
    if (this.#pendingId > 0) {
      this.#pendingId = Math.max(this.#pendingId, id);
      return;
    }
    this.#pendingId = id;
    setImmediate(() => {
      const top = this.#pendingId;
      this.#pendingId = 0;
      this.#pub?.publish(this.#channel, String(top)).catch((error) => this.#lost(error));
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    this.#drop();
  }

  async #connect(): Promise<void> {
    if (this.#stopped || this.#connecting || this.#pub) return;
    this.#connecting = true;
    let pub: RedisClient | null = null;
    let sub: RedisClient | null = null;
    try {
      const opts = {
        autoReconnect: false,
        enableOfflineQueue: false,
        connectionTimeout: this.#timeoutMs,
      };
      pub = new RedisClient(this.#url, opts);
      await pub.connect();
      sub = new RedisClient(this.#url, opts);
      await sub.connect();
      await sub.subscribe(this.#channel, (message) => {
        const id = Number(message);
        if (Number.isSafeInteger(id) && id > 0) this.#onMessage(id);
      });
      if (this.#stopped) throw new Error("stopped");
      pub.onclose = (e) => this.#lost(e);
      sub.onclose = (e) => this.#lost(e);
      this.#pub = pub;
      this.#sub = sub;
      this.#backoffMs = this.#minMs;
      this.#log({ level: "info", event: "redis.connected", reconnect: this.#wasConnected });
      this.#wasConnected = true;
      this.#onConnected();
    } catch (error) {
      for (const c of [pub, sub]) {
        try {
          c?.close();
        } catch {
          // already closed
        }
      }
      if (!this.#stopped) {
        // Logged once per outage: the first failed attempt; retries are quiet.
        if (this.#backoffMs === this.#minMs) {
          this.#log({
            level: "warn",
            event: "redis.unavailable",
            error: String((error as Error)?.message ?? error),
          });
        }
        this.#scheduleReconnect();
      }
    } finally {
      this.#connecting = false;
    }
  }

  #lost(error: unknown): void {
    if (!this.#pub || this.#stopped) return;
    this.#log({
      level: "warn",
      event: "redis.lost",
      error: String((error as Error)?.message ?? error),
    });
    this.#drop();
    this.#scheduleReconnect();
  }

  #drop(): void {
    const pub = this.#pub;
    const sub = this.#sub;
    this.#pub = null;
    this.#sub = null;
    for (const c of [pub, sub]) {
      if (!c) continue;
      c.onclose = null;
      try {
        c.close();
      } catch {
        // already closed
      }
    }
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
