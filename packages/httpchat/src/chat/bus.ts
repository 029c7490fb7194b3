// MessageBus: instances tell each other "message N exists" through Redis pub/sub (Bun's built-in
// RedisClient; one connection publishes, a second one subscribes).
//
// The shared store stays the source of truth: an announcement only wakes the long polls waiting
// on this instance, which then read from the store. Nothing is carried that the store does not
// have, so a lost or duplicated announcement can only cost latency, never a message. While Redis
// is down, long polls fall back to the periodic store check (see routes/app.ts).
//
// Redis down: logged once per outage, reconnect with exponential backoff (@netkit/store's
// RedisPair); announcements made meanwhile are dropped (the other instances' periodic check
// covers them).
import type { Log } from "@netkit/framing";
import { RedisPair } from "@netkit/store";

/** What `MessageBus` uses for an option left out. */
export const BUS_DEFAULTS = {
  /** Channel name; several chats can share one Redis with different channels. */
  channel: "netkit:httpchat:messages",
  /** Reconnect backoff: first delay, doubled up to the max. */
  reconnectMinMs: 100,
  reconnectMaxMs: 5000,
  /** Connecting to Redis gives up after this long (then backoff). */
  connectTimeoutMs: 2000,
} as const;

/** Options of `MessageBus`. */
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

/** Redis pub/sub that tells every instance "message N exists", so long polls wake up across instances. */
export class MessageBus {
  readonly #channel: string;
  readonly #redis: RedisPair;
  /** Highest id announced but not yet published (announcements of one turn are merged). */
  #pendingId = 0;

  constructor(options: MessageBusOptions) {
    const channel = options.channel ?? BUS_DEFAULTS.channel;
    const log = options.log ?? (() => {});
    const onMessage = options.onMessage;
    const onConnected = options.onConnected ?? (() => {});
    this.#channel = channel;
    this.#redis = new RedisPair({
      url: options.url,
      reconnectMinMs: options.reconnectMinMs ?? BUS_DEFAULTS.reconnectMinMs,
      reconnectMaxMs: options.reconnectMaxMs ?? BUS_DEFAULTS.reconnectMaxMs,
      connectTimeoutMs: options.connectTimeoutMs ?? BUS_DEFAULTS.connectTimeoutMs,
      prepare: async ({ subscriber }) => {
        await subscriber.subscribe(channel, (message) => {
          const id = Number(message);
          if (Number.isSafeInteger(id) && id > 0) onMessage(id);
        });
      },
      onUp: (_, reconnect) => {
        log({ level: "info", event: "redis.connected", reconnect });
        onConnected();
      },
      onDown: (error, { wasUp }) =>
        log({
          level: "warn",
          event: wasUp ? "redis.lost" : "redis.unavailable",
          error: String((error as Error)?.message ?? error),
        }),
    });
  }

  get connected(): boolean {
    return this.#redis.connected;
  }

  /** First connection attempt; never throws (Redis down at start: keeps retrying). */
  async start(): Promise<void> {
    await this.#redis.start();
  }

  /** Announces that message `id` is committed; announcements of one turn go out as one PUBLISH. */
  announce(id: number): void {
    if (!this.#redis.connected) return;
    if (this.#pendingId > 0) {
      this.#pendingId = Math.max(this.#pendingId, id);
      return;
    }
    this.#pendingId = id;
    setImmediate(() => {
      const top = this.#pendingId;
      this.#pendingId = 0;
      const pub = this.#redis.publisher;
      pub?.publish(this.#channel, String(top)).catch((error) => this.#redis.lost(error, pub));
    });
  }

  async stop(): Promise<void> {
    await this.#redis.stop();
  }
}
