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
// logs it once, and reconnects with exponential backoff.

import type { Log } from "@netkit/framing";
import { RedisClient } from "bun";

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

export class BbsCluster {
  readonly instanceId: string;
  readonly #o: Required<Omit<ClusterOptions, "log" | "instanceId">> & { log: Log };
  #pub: RedisClient | null = null;
  #sub: RedisClient | null = null;
  #stopped = false;
  #connecting = false;
  #backoffMs: number;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #pushScheduled = false;
  /** Last names read from the other instances (used when a read times out). */
  #remote: string[] = [];
  /** Ever connected, to log "lost" once per outage. */
  #wasConnected = false;

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
    this.#backoffMs = this.#o.reconnectMinMs;
  }

  get connected(): boolean {
    return this.#pub !== null;
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
    await this.#connect();
  }

  /** Names online on the other live instances. */
  async remoteNames(): Promise<string[]> {
    const pub = this.#pub;
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
    const pub = this.#pub;
    if (!pub) return; // they reload account names when they (re)connect
    pub
      .publish(this.#channel, JSON.stringify({ kind: "account", name, from: this.instanceId }))
      .catch(() => {});
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#heartbeat);
    clearTimeout(this.#retry);
    const pub = this.#pub;
    if (pub) {
      // Leave at once rather than when the TTL runs out.
      await Promise.allSettled([
        pub.del(this.#whoKey(this.instanceId)),
        pub.send("ZREM", [this.#instancesKey, this.instanceId]),
      ]);
    }
    this.#drop();
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
    const pub = this.#pub;
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
      this.#lost(error);
    }
  }

  async #connect(): Promise<void> {
    if (this.#stopped || this.#connecting || this.#pub) return;
    this.#connecting = true;
    let pub: RedisClient | null = null;
    let sub: RedisClient | null = null;
    try {
      const opts = { autoReconnect: false, enableOfflineQueue: false, connectionTimeout: 2000 };
      pub = new RedisClient(this.#o.url, opts);
      await pub.connect();
      sub = new RedisClient(this.#o.url, opts);
      await sub.connect();
      await sub.subscribe(this.#channel, (message) => this.#onMessage(message));
      if (this.#stopped) throw new Error("stopped");
      pub.onclose = (e) => this.#lost(e);
      sub.onclose = (e) => this.#lost(e);
      this.#pub = pub;
      this.#sub = sub;
      this.#backoffMs = this.#o.reconnectMinMs;
      this.#o.log({
        level: "info",
        event: "redis.connected",
        instance: this.instanceId,
        reconnect: this.#wasConnected,
      });
      this.#wasConnected = true;
      await this.#push();
      // Registrations announced while we were away: reload from the store.
      await this.#o
        .onConnected()
        .catch((error) =>
          this.#o.log({ level: "warn", event: "redis.catchup.fail", error: String(error) }),
        );
    } catch (error) {
      for (const c of [pub, sub]) {
        try {
          c?.close();
        } catch {
          // already closed
        }
      }
      if (!this.#stopped) {
        this.#o.log({
          level: "warn",
          event: "redis.unavailable",
          error: String((error as Error)?.message ?? error),
          retryMs: this.#backoffMs,
        });
        this.#scheduleReconnect();
      }
    } finally {
      this.#connecting = false;
    }
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

  #lost(error: unknown): void {
    if (!this.#pub || this.#stopped) return;
    this.#o.log({
      level: "warn",
      event: "redis.lost",
      error: String((error as Error)?.message ?? error),
      retryMs: this.#backoffMs,
    });
    this.#drop();
    this.#scheduleReconnect();
  }

  #drop(): void {
    const pub = this.#pub;
    const sub = this.#sub;
    this.#pub = null;
    this.#sub = null;
    this.#remote = [];
    if (pub) {
      pub.onclose = null;
      pub.close();
    }
    if (sub) {
      sub.onclose = null;
      sub.close();
    }
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#retry !== undefined) return;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#o.reconnectMaxMs);
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      void this.#connect();
    }, delay);
  }
}
