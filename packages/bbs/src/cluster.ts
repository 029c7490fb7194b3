// BbsCluster: what several BBS instances share through Redis (Bun's built-in RedisClient).
//
// The BBS is request/response and PostgreSQL is the source of truth for posts, DMs and accounts,
// so the bus carries only what the database does not give every instance by itself:
// - presence: each instance keeps `<prefix>who:<instance>` = its online names (JSON), written
//   when the list changes and on a heartbeat, with a TTL a few heartbeats long. `who` merges
//   every live instance's key, so an instance that dies (kill -9) drops out when its key expires.
// - registrations: "account <name>" on the pub/sub channel, so other instances lock guest
//   sessions under a name as soon as it is registered anywhere. After a reconnect, the instance
//   reloads every account name from the store: nothing announced while it was away is missed.
// Posts and DMs are not announced: `list`, `since`, `listdm` read the shared database at the
// moment of the command, so there is no one to push a "post N exists" to.
//
// Redis down: every instance keeps serving its own clients (`who` shows the local sessions only),
// logs it once per outage, and reconnects with exponential backoff (@netkit/store's RedisPair).

import type { Log } from "@netkit/framing";
import { RedisPair } from "@netkit/store";
import type { RedisClient } from "bun";

/** What `BbsCluster` uses for an option left out. */
export const CLUSTER_DEFAULTS = {
  /** Key and channel prefix, so several boards can share one Redis. */
  prefix: "netkit:bbs:",
  /** Presence refresh period. */
  heartbeatMs: 1000,
  /** Presence of an instance that stopped refreshing expires after this long. */
  presenceTtlMs: 3000,
  /** Reconnect backoff: first delay, doubled up to the max. */
  reconnectMinMs: 100,
  reconnectMaxMs: 5000,
  /** A presence read that takes longer is skipped (`who` then shows the last known names). */
  readTimeoutMs: 500,
};

/** Options of `new BbsCluster()`. */
export interface ClusterOptions {
  url: string;
  /** Unique per instance. @default random */
  instanceId?: string;
  prefix?: string;
  heartbeatMs?: number;
  presenceTtlMs?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  readTimeoutMs?: number;
  log?: Log;
  /** The local online names (sorted). */
  localNames(): string[];
  /** Another instance registered `name`. */
  onRegistered(name: string): void;
  /** (Re)connected: catch up on whatever may have been missed. */
  onConnected(): Promise<void>;
}

/** Links several board instances through Redis: who is online everywhere, new posts and messages announced. */
export class BbsCluster {
  readonly instanceId: string;
  readonly #o: Required<Omit<ClusterOptions, "log" | "instanceId">> & { log: Log };
  readonly #redis: RedisPair;
  #stopped = false;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #pushScheduled = false;
  /** Last names read from the other instances (used when a read times out). */
  #remote: string[] = [];

  constructor(options: ClusterOptions) {
    this.instanceId = options.instanceId ?? crypto.randomUUID();
    this.#o = {
      url: options.url,
      prefix: options.prefix ?? CLUSTER_DEFAULTS.prefix,
      heartbeatMs: options.heartbeatMs ?? CLUSTER_DEFAULTS.heartbeatMs,
      presenceTtlMs: options.presenceTtlMs ?? CLUSTER_DEFAULTS.presenceTtlMs,
      reconnectMinMs: options.reconnectMinMs ?? CLUSTER_DEFAULTS.reconnectMinMs,
      reconnectMaxMs: options.reconnectMaxMs ?? CLUSTER_DEFAULTS.reconnectMaxMs,
      readTimeoutMs: options.readTimeoutMs ?? CLUSTER_DEFAULTS.readTimeoutMs,
      log: options.log ?? (() => {}),
      localNames: options.localNames,
      onRegistered: options.onRegistered,
      onConnected: options.onConnected,
    };
    this.#redis = new RedisPair({
      url: this.#o.url,
      reconnectMinMs: this.#o.reconnectMinMs,
      reconnectMaxMs: this.#o.reconnectMaxMs,
      prepare: async ({ subscriber }) => {
        await subscriber.subscribe(this.#channel, (message) => this.#onMessage(message));
      },
      onUp: (_, reconnect) => this.#onUp(reconnect),
      onDown: (error, { wasUp, retryMs }) => {
        this.#remote = [];
        this.#o.log({
          level: "warn",
          event: wasUp ? "redis.lost" : "redis.unavailable",
          error: String((error as Error)?.message ?? error),
          retryMs,
        });
      },
    });
  }

  get connected(): boolean {
    return this.#redis.connected;
  }

  get #channel(): string {
    return `${this.#o.prefix}events`;
  }

  get #instancesKey(): string {
    return `${this.#o.prefix}instances`;
  }

  #whoKey(id: string): string {
    return `${this.#o.prefix}who:${id}`;
  }

  /** First connection attempt; never throws (Redis down at start: keep retrying in background). */
  async start(): Promise<void> {
    this.#heartbeat = setInterval(() => void this.#push(), this.#o.heartbeatMs);
    await this.#redis.start();
  }

  /** Names online on the other live instances. */
  async remoteNames(): Promise<string[]> {
    const pub = this.#redis.publisher;
    if (!pub) return [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), this.#o.readTimeoutMs);
    });
    try {
      const names = await Promise.race([this.#readRemote(pub), timeout]);
      if (names) this.#remote = names;
      return this.#remote;
    } catch {
      return this.#remote;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The local online list changed: publish it at the end of this turn. */
  changed(): void {
    if (this.#pushScheduled) return;
    this.#pushScheduled = true;
    setImmediate(() => {
      this.#pushScheduled = false;
      void this.#push();
    });
  }

  /** Tells the other instances that `name` was registered here. */
  announceRegistered(name: string): void {
    const pub = this.#redis.publisher;
    if (!pub) return; // they reload account names when they (re)connect
    pub
      .publish(this.#channel, JSON.stringify({ kind: "account", name, from: this.instanceId }))
      .catch(() => {});
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#heartbeat);
    const pub = this.#redis.publisher;
    if (pub) {
      // Leave at once rather than when the TTL runs out.
      await Promise.allSettled([
        pub.del(this.#whoKey(this.instanceId)),
        pub.send("ZREM", [this.#instancesKey, this.instanceId]),
      ]);
    }
    await this.#redis.stop();
  }

  async #readRemote(pub: RedisClient): Promise<string[]> {
    const now = Date.now();
    const ids = (await pub.send("ZRANGEBYSCORE", [
      this.#instancesKey,
      String(now - this.#o.presenceTtlMs),
      "+inf",
    ])) as string[];
    const others = ids.filter((id) => id !== this.instanceId);
    if (others.length === 0) return [];
    const values = (await pub.send(
      "MGET",
      others.map((id) => this.#whoKey(id)),
    )) as (string | null)[];
    const names = new Set<string>();
    for (const v of values) {
      if (!v) continue; // expired: that instance died
      try {
        for (const n of JSON.parse(v) as string[]) names.add(n);
      } catch {
        // a foreign value: ignore
      }
    }
    return [...names];
  }

  async #push(): Promise<void> {
    const pub = this.#redis.publisher;
    if (!pub || this.#stopped) return;
    const now = Date.now();
    try {
      await pub.send("SET", [
        this.#whoKey(this.instanceId),
        JSON.stringify(this.#o.localNames()),
        "PX",
        String(this.#o.presenceTtlMs),
      ]);
      await pub.send("ZADD", [this.#instancesKey, String(now), this.instanceId]);
      // Forget instances that stopped refreshing long ago (their who key has expired too).
      await pub.send("ZREMRANGEBYSCORE", [
        this.#instancesKey,
        "-inf",
        String(now - 10 * this.#o.presenceTtlMs),
      ]);
    } catch (error) {
      this.#redis.lost(error, pub);
    }
  }

  async #onUp(reconnect: boolean): Promise<void> {
    this.#o.log({ level: "info", event: "redis.connected", instance: this.instanceId, reconnect });
    await this.#push();
    // Registrations announced while we were away: reload from the store.
    await this.#o
      .onConnected()
      .catch((error) =>
        this.#o.log({ level: "warn", event: "redis.catchup.fail", error: String(error) }),
      );
  }

  #onMessage(message: string): void {
    try {
      const m = JSON.parse(message) as { kind?: string; name?: string; from?: string };
      if (m.kind === "account" && typeof m.name === "string" && m.from !== this.instanceId) {
        this.#o.onRegistered(m.name);
      }
    } catch {
      // not ours
    }
  }
}
