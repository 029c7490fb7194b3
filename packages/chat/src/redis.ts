// Several chat servers as one room, through Redis (Bun's built-in client). Transport layer.
//
// - Every line a local member causes (message, /me, join, leave, rename) is delivered locally
//   at once and appended to a Redis Stream per room (XADD MAXLEN ~). Each instance reads the
//   stream on a dedicated connection (XREAD BLOCK) from the last id it has seen, so after a
//   disconnection it catches up without gaps; entries carry (origin instance, sequence number)
//   and an instance skips its own entries and any (origin, seq) it has already delivered, so a
//   line re-sent after a failure is never shown twice.
// - Names: `SET <prefix>name:<key> "<instance>\t<name>" NX PX ttl`, refreshed by a heartbeat (one
//   Lua script per beat), released on leave. A dead instance's names expire after `nameTtlMs`.
// - /who: each instance keeps a hash of its members (same TTL) and a sorted set of live
//   instances; /msg to someone elsewhere goes through the stream, addressed to the name key.
// - Redis down: local fan-out continues; what local members say is queued (bounded) and
//   published when Redis is back; reconnection with exponential backoff; logged once per outage
//   (the connection pair and its backoff are @netkit/store's RedisPair).
import { type Log, silentLog } from "@netkit/framing";
import { RedisPair } from "@netkit/store";
import type { RedisClient } from "bun";
import { ChatError } from "./errors.ts";
import { checkName, MAX_NAME_CHARS, nameKey } from "./names.ts";
import type { HistoryEntry, Room, RoomEvent } from "./room.ts";
import type { RoomCluster } from "./session.ts";

/** Options of `RedisRoomLink` (and of `startChatServer`'s `redis`). */
export interface RedisLinkOptions {
  /** redis://host:port (Bun's RedisClient URL). */
  url: string;
  /** The room's name: instances with the same Redis and room name form one room. @default "lobby" */
  room?: string;
  /** This instance's id in Redis (must be unique among live instances). @default random */
  instanceId?: string;
  /** How long a name outlives its instance's last heartbeat, in ms. @default 5000 */
  nameTtlMs?: number;
  /** Approximate number of entries the stream keeps (catch-up window, history). @default 10000 */
  streamMaxLen?: number;
  /** Lines kept for publishing while Redis is down; older ones are dropped (logged). @default 10000 */
  maxOutbox?: number;
  /** First reconnection delay, doubled per failure up to reconnectMaxMs. @default 100 */
  reconnectMinMs?: number;
  /** @default 2000 */
  reconnectMaxMs?: number;
  log?: Log;
}

/** What `RedisRoomLink` uses for an option left out. */
export const REDIS_DEFAULTS = {
  room: "lobby",
  nameTtlMs: 5000,
  streamMaxLen: 10_000,
  maxOutbox: 10_000,
  reconnectMinMs: 100,
  reconnectMaxMs: 2000,
} as const;

/** How long a client-facing command (claim, /who, /msg lookup) may take before Redis counts as unreachable. */
const COMMAND_TIMEOUT_MS = 2000;

/** Stream entry kinds. */
const KIND_NOTICE = "n"; // join/leave/rename: delivered, not kept in history
const KIND_HISTORY = "h"; // message or /me: delivered and kept
const KIND_PRIVATE = "p"; // /msg: delivered to one name key only

// Heartbeat: (re)claims this instance's names, rewrites its member hash, marks it alive.
// Returns the name keys now held by another instance (lost while we were cut off).
const HEARTBEAT_LUA = `
local prefix, inst, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local mkey = prefix .. 'members:' .. inst
local mine = inst .. '\\t'
local lost = {}
redis.call('DEL', mkey)
for i = 4, #ARGV, 2 do
  local k, disp = ARGV[i], ARGV[i + 1]
  local nk = prefix .. 'name:' .. k
  local v = redis.call('GET', nk)
  if (not v) or string.sub(v, 1, #mine) == mine then
    redis.call('SET', nk, mine .. disp, 'PX', ttl)
    redis.call('HSET', mkey, k, disp)
  else
    table.insert(lost, k)
  end
end
redis.call('PEXPIRE', mkey, ttl)
redis.call('ZADD', prefix .. 'instances', now + ttl, inst)
redis.call('ZREMRANGEBYSCORE', prefix .. 'instances', '-inf', now)
return lost`;

// Claim one name: SET NX, and record it in this instance's member hash.
const CLAIM_LUA = `
local ok = redis.call('SET', KEYS[1], ARGV[1] .. '\\t' .. ARGV[2], 'NX', 'PX', ARGV[3])
if not ok then return redis.call('GET', KEYS[1]) or '' end
redis.call('HSET', KEYS[2], ARGV[4], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1`;

// Release: delete the name only if this instance holds it.
const RELEASE_LUA = `
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, #ARGV[1] + 1) == ARGV[1] .. '\\t' then redis.call('DEL', KEYS[1]) end
redis.call('HDEL', KEYS[2], ARGV[2])
return 1`;

// Everyone on the live instances other than ARGV[2]: a flat list of display names.
const WHO_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for _, inst in ipairs(redis.call('ZRANGEBYSCORE', ARGV[1] .. 'instances', now, '+inf')) do
  if inst ~= ARGV[2] then
    for _, n in ipairs(redis.call('HVALS', ARGV[1] .. 'members:' .. inst)) do table.insert(out, n) end
  end
end
return out`;

interface OutboxEntry {
  fields: string[];
}

type StreamEntry = [string, string[]];

/** XREAD replies as a RESP3 map ({ key: entries }) or RESP2 array ([[key, entries]]). */
function streamEntries(reply: unknown): StreamEntry[] {
  if (reply == null) return [];
  if (Array.isArray(reply)) return (reply as [string, StreamEntry[]][]).flatMap(([, e]) => e);
  return Object.values(reply as Record<string, StreamEntry[]>).flat();
}

function fieldMap(fields: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  return map;
}

/**
 * Connects a Room to Redis (see the file comment). The server creates the room with
 * `onEvent: (e) => link.publish(e)`, then calls `link.attach(room)`, and gives the link to every
 * session as its `cluster`.
 */
export class RedisRoomLink<P> implements RoomCluster {
  readonly instanceId: string;
  readonly #prefix: string;
  readonly #stream: string;
  readonly #ttlMs: number;
  readonly #maxLen: string;
  readonly #maxOutbox: number;
  readonly #log: Log;
  /** Commands and XADD on `publisher`, XREAD BLOCK on `subscriber`; a reply from an older pair is stale. */
  readonly #redis: RedisPair;
  #room: Room<P> | undefined;
  #stopped = false;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #lastId = "0-0";
  #seq = 0;
  readonly #outbox: OutboxEntry[] = [];
  /** Outbox entries (from the head) written on the current connection, not yet acknowledged. */
  #inflight = 0;
  readonly #lastSeqByOrigin = new Map<string, number>();
  #upWaiters: (() => void)[] = [];
  /** Figures for tests and logs. */
  readonly stats = { published: 0, received: 0, duplicatesSkipped: 0, outages: 0, dropped: 0 };

  constructor(options: RedisLinkOptions) {
    const room = options.room ?? REDIS_DEFAULTS.room;
    this.#prefix = `netkit:chat:${room}:`;
    this.#stream = `${this.#prefix}stream`;
    this.instanceId = options.instanceId ?? crypto.randomUUID().slice(0, 12);
    if (this.instanceId.includes("\t")) throw new RangeError("instanceId may not contain a tab");
    this.#ttlMs = options.nameTtlMs ?? REDIS_DEFAULTS.nameTtlMs;
    if (!Number.isInteger(this.#ttlMs) || this.#ttlMs < 300) {
      throw new RangeError(`nameTtlMs must be an integer ≥ 300, got ${this.#ttlMs}`);
    }
    this.#maxLen = String(options.streamMaxLen ?? REDIS_DEFAULTS.streamMaxLen);
    this.#maxOutbox = options.maxOutbox ?? REDIS_DEFAULTS.maxOutbox;
    this.#log = options.log ?? silentLog;
    this.#redis = new RedisPair({
      url: options.url,
      reconnectMinMs: options.reconnectMinMs ?? REDIS_DEFAULTS.reconnectMinMs,
      reconnectMaxMs: options.reconnectMaxMs ?? REDIS_DEFAULTS.reconnectMaxMs,
      connectTimeoutMs: COMMAND_TIMEOUT_MS,
      // First connection: history from the stream; after an outage: what was missed, in order.
      prepare: ({ publisher, subscriber }, reconnect) =>
        reconnect ? this.#catchUp(subscriber) : this.#loadHistory(publisher),
      onUp: ({ subscriber }, reconnect) => this.#onUp(subscriber, reconnect),
      onDown: (error, { wasUp }) => {
        if (wasUp) this.stats.outages++;
        this.#inflight = 0; // re-sent on the next connection (deduplicated by the readers)
        this.#log({
          level: "warn",
          event: "chat.redis_down",
          error: error instanceof Error ? error.message : String(error ?? "closed"),
          note: "serving local clients only; reconnecting with backoff",
        });
      },
    });
  }

  /** Whether Redis is reachable right now. */
  get connected(): boolean {
    return this.#redis.connected;
  }

  /** Starts connecting (in the background: the room works locally until Redis answers). */
  attach(room: Room<P>): void {
    this.#room = room;
    void this.#redis.start();
    this.#heartbeat = setInterval(() => void this.#beat(), Math.floor(this.#ttlMs / 3));
  }

  /** Resolves once connected (and caught up), or rejects after timeoutMs. */
  waitConnected(timeoutMs = 10_000): Promise<void> {
    if (this.#redis.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Redis not connected within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#upWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * A command whose answer a client waits for (claim, /who, /msg lookup): Redis that hangs
   * without closing the connection must not freeze the session, so after `commandTimeoutMs` it
   * counts as unreachable.
   */
  #ask(cmd: RedisClient, command: string, args: string[]): Promise<unknown> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    return Promise.race([
      cmd.send(command, args),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Redis ${command} timed out`)),
          COMMAND_TIMEOUT_MS,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** Room.onEvent: a local line for the other instances. */
  publish(event: RoomEvent): void {
    this.#enqueue([
      "k",
      event.remember ? KIND_HISTORY : KIND_NOTICE,
      "l",
      event.line,
      "t",
      String(event.atMs),
    ]);
  }

  // RoomCluster -------------------------------------------------------------------------------

  async claim(name: string): Promise<ChatError | undefined> {
    const cmd = this.#redis.publisher;
    if (!cmd) return undefined; // reconciled by the heartbeat after reconnecting
    const key = nameKey(name);
    let reply: unknown;
    try {
      reply = await this.#ask(cmd, "EVAL", [
        CLAIM_LUA,
        "2",
        `${this.#prefix}name:${key}`,
        `${this.#prefix}members:${this.instanceId}`,
        this.instanceId,
        name,
        String(this.#ttlMs),
        key,
      ]);
    } catch {
      return undefined; // Redis went away mid-claim: local rules apply, reconciled later
    }
    if (reply === 1) return undefined;
    return new ChatError("NAME_TAKEN", `the name "${name}" is already in use`);
  }

  release(name: string): void {
    const cmd = this.#redis.publisher;
    if (!cmd) return; // the name expires, and the heartbeat no longer renews it
    const key = nameKey(name);
    cmd
      .send("EVAL", [
        RELEASE_LUA,
        "2",
        `${this.#prefix}name:${key}`,
        `${this.#prefix}members:${this.instanceId}`,
        this.instanceId,
        key,
      ])
      .catch(() => {});
  }

  async whisper(from: string, to: string, text: string): Promise<string> {
    const cmd = this.#redis.publisher;
    if (!cmd) {
      throw new ChatError(
        "NO_SUCH_USER",
        `no one called "${to}" is on this server (the others can't be reached right now)`,
      );
    }
    const key = nameKey(to);
    let holder: string | null = null;
    try {
      holder = (await this.#ask(cmd, "GET", [`${this.#prefix}name:${key}`])) as string | null;
    } catch {
      holder = null;
    }
    const tab = holder?.indexOf("\t") ?? -1;
    if (!holder || tab < 0 || holder.slice(0, tab) === this.instanceId) {
      throw new ChatError("NO_SUCH_USER", `no one called "${to}" is here`);
    }
    this.#enqueue(["k", KIND_PRIVATE, "l", `[private] ${from}: ${text}`, "to", key]);
    return holder.slice(tab + 1);
  }

  async who(local: string[]): Promise<{ names: string[]; partial: boolean }> {
    const cmd = this.#redis.publisher;
    if (!cmd) return { names: local, partial: true };
    try {
      const others = (await this.#ask(cmd, "EVAL", [
        WHO_LUA,
        "0",
        this.#prefix,
        this.instanceId,
      ])) as string[] | null;
      return { names: [...local, ...(others ?? []).sort()], partial: false };
    } catch {
      return { names: local, partial: true };
    }
  }

  /** Publishes what is queued (bounded wait), releases this instance's names, disconnects. */
  async stop(flushTimeoutMs = 1000): Promise<void> {
    clearInterval(this.#heartbeat);
    const deadline = performance.now() + flushTimeoutMs;
    while (this.#redis.connected && this.#outbox.length > 0 && performance.now() < deadline) {
      await Bun.sleep(5);
    }
    const cmd = this.#redis.publisher;
    if (cmd) {
      try {
        await cmd.send("ZREM", [`${this.#prefix}instances`, this.instanceId]);
        await cmd.send("DEL", [`${this.#prefix}members:${this.instanceId}`]);
      } catch {}
    }
    this.#stopped = true;
    await this.#redis.stop();
  }

  /** Connected (and caught up): reclaim the local names, publish what queued up, read live. */
  async #onUp(reader: RedisClient, reconnect: boolean): Promise<void> {
    this.#log({
      event: reconnect ? "chat.redis_up" : "chat.redis_connected",
      instance: this.instanceId,
      queued: this.#outbox.length,
    });
    await this.#beat(); // (re)claims every local name; conflicts are reconciled
    this.#flush();
    void this.#readLoop(reader);
    for (const wake of this.#upWaiters.splice(0)) wake();
  }

  // Stream ------------------------------------------------------------------------------------

  /** First connection: history from the stream, and the reading position at its end. */
  async #loadHistory(cmd: RedisClient): Promise<void> {
    const room = this.#room;
    const reply = (await cmd.send("XREVRANGE", [this.#stream, "+", "-", "COUNT", "1000"])) as
      | StreamEntry[]
      | null;
    const entries = reply ?? [];
    if (entries[0]) this.#lastId = entries[0][0];
    const history: HistoryEntry[] = [];
    for (const [, fields] of entries) {
      const f = fieldMap(fields);
      if (f.get("k") === KIND_HISTORY) {
        history.push({ atMs: Number(f.get("t")), line: f.get("l") ?? "" });
      }
    }
    history.reverse();
    room?.replaceHistory(history);
  }

  /** After reconnecting: everything after the last id seen, before going live. */
  async #catchUp(reader: RedisClient): Promise<void> {
    for (;;) {
      const reply = await reader.send("XREAD", [
        "COUNT",
        "1000",
        "STREAMS",
        this.#stream,
        this.#lastId,
      ]);
      if (this.#stopped) return;
      const entries = streamEntries(reply);
      this.#deliver(entries);
      if (entries.length < 1000) return;
    }
  }

  async #readLoop(reader: RedisClient): Promise<void> {
    while (this.#redis.subscriber === reader && !this.#stopped) {
      let reply: unknown;
      try {
        reply = await reader.send("XREAD", [
          "BLOCK",
          "1000",
          "COUNT",
          "1000",
          "STREAMS",
          this.#stream,
          this.#lastId,
        ]);
      } catch (error) {
        this.#redis.lost(error, reader);
        return;
      }
      if (this.#redis.subscriber !== reader) return;
      this.#deliver(streamEntries(reply));
    }
  }

  #deliver(entries: StreamEntry[]): void {
    const room = this.#room;
    for (const [id, fields] of entries) {
      this.#lastId = id;
      const f = fieldMap(fields);
      const origin = f.get("o");
      if (!origin || origin === this.instanceId) continue; // ours: delivered locally already
      const seq = Number(f.get("s"));
      if (seq <= (this.#lastSeqByOrigin.get(origin) ?? 0)) {
        this.stats.duplicatesSkipped++;
        continue;
      }
      this.#lastSeqByOrigin.set(origin, seq);
      this.stats.received++;
      const line = f.get("l") ?? "";
      const kind = f.get("k");
      if (kind === KIND_PRIVATE) room?.deliverTo(f.get("to") ?? "", line);
      else room?.receive(line, kind === KIND_HISTORY, Number(f.get("t")) || Date.now());
    }
  }

  #enqueue(fields: string[]): void {
    if (this.#outbox.length >= this.#maxOutbox) {
      this.#outbox.splice(this.#inflight, 1); // drop the oldest line not yet on its way
      this.stats.dropped++;
      if (this.stats.dropped === 1 || this.stats.dropped % 1000 === 0) {
        this.#log({ level: "warn", event: "chat.redis_outbox_full", dropped: this.stats.dropped });
      }
    }
    this.#outbox.push({ fields: ["o", this.instanceId, "s", String(++this.#seq), ...fields] });
    this.#flush();
  }

  /** Writes every queued entry not yet written on this connection (pipelined, in order). */
  #flush(): void {
    const cmd = this.#redis.publisher;
    if (!cmd) return;
    while (this.#inflight < this.#outbox.length) {
      const entry = this.#outbox[this.#inflight++]!;
      cmd.send("XADD", [this.#stream, "MAXLEN", "~", this.#maxLen, "*", ...entry.fields]).then(
        () => {
          if (this.#redis.publisher !== cmd) return; // re-sent on the next connection (deduplicated)
          this.#outbox.shift();
          this.#inflight--;
          this.stats.published++;
        },
        (error: unknown) => this.#redis.lost(error, cmd),
      );
    }
  }

  // Names -------------------------------------------------------------------------------------

  async #beat(): Promise<void> {
    const cmd = this.#redis.publisher;
    const room = this.#room;
    if (!cmd || !room) return;
    const args = [HEARTBEAT_LUA, "0", this.#prefix, this.instanceId, String(this.#ttlMs)];
    for (const name of room.names()) args.push(nameKey(name), name);
    let lost: string[];
    try {
      lost = ((await cmd.send("EVAL", args)) as string[] | null) ?? [];
    } catch (error) {
      this.#redis.lost(error, cmd);
      return;
    }
    for (const key of lost) await this.#reconcile(key);
  }

  /**
   * A local member's name is held by another instance in Redis (both were given it while this
   * instance was cut off, or its claim lapsed): the holder in Redis keeps it; the local member
   * is renamed to the first free `name_2`, `name_3`, ... and told why.
   */
  async #reconcile(key: string): Promise<void> {
    const room = this.#room;
    const member = room?.find(key);
    const cmd = this.#redis.publisher;
    if (!room || !member || !cmd) return;
    const oldName = member.name;
    for (let n = 2; n < 100; n++) {
      const suffix = `_${n}`;
      const base = [...oldName].slice(0, MAX_NAME_CHARS - suffix.length).join("");
      const candidate = base + suffix;
      if (checkName(candidate) || room.has(candidate)) continue;
      const refused = await this.claim(candidate);
      if (refused) continue;
      if (room.find(key) !== member) {
        this.release(candidate);
        return;
      }
      member.deliver(
        room.encode(
          new ChatError(
            "NAME_TAKEN",
            `while this server was cut off from the others, "${oldName}" was taken on another server; you are now ${candidate}`,
          ).toLine(),
        ),
      );
      room.rename(member, candidate);
      this.#log({ level: "warn", event: "chat.name_reconciled", from: oldName, to: candidate });
      return;
    }
  }
}
