// BbsStore: posts, DMs and accounts in SQLite (bun:sqlite, WAL) with group commit.
//
// Writes are queued; all writes queued during one event-loop turn are committed in one
// transaction (one WAL append, one fsync under FULL) and each caller's promise resolves only
// after that commit. Reads run directly on the same connection and see every resolved write.

import { type Changes, Database, type Statement } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { nameKey } from "@netkit/framing";
import { migrateSqlite, Settler } from "@netkit/store";
import { BBS_DEFAULTS, type SynchronousMode } from "../defaults.ts";
import { BbsError } from "../errors.ts";
import { SqliteLogins } from "./logins.ts";
import { MIGRATIONS } from "./migrations.ts";
import type {
  BbsStorage,
  DirectMessage,
  LoginLimits,
  LoginReservation,
  Pending,
  Post,
  StoreStats,
  Write,
} from "./types.ts";

export type { DirectMessage, Post, StoreStats } from "./types.ts";

/** Rows per multi-row INSERT: 3 parameters each, far below SQLite's variable limit. */
const POSTS_PER_INSERT = 128;

/** Options of `new BbsStore()`. */
export interface BbsStoreOptions {
  /** File path, or ":memory:". @default BBS_DEFAULTS.dbPath */
  path?: string;
  /** @default "NORMAL" */
  synchronous?: SynchronousMode;
  /** WAL pages between automatic checkpoints (0: never). @default 16384 (64 MiB of 4 KiB pages) */
  walAutocheckpointPages?: number;
  /**
   * Checkpoint the WAL once writes have paused this long, when at least idleCheckpointCommits
   * commits went into it since the last checkpoint (0: only SQLite's automatic checkpoints).
   * @default 20
   */
  idleCheckpointMs?: number;
  /** @default 100 */
  idleCheckpointCommits?: number;
  /** Clock for created_ms (tests). @default Date.now */
  now?: () => number;
}

/** The SQLite store (the embedded default), with group commit. */
export class BbsStore implements BbsStorage {
  readonly engine = "sqlite" as const;
  readonly path: string;
  readonly stats: StoreStats = { commits: 0, writes: 0, maxBatch: 0 };
  readonly #db: Database;
  readonly #now: () => number;
  #queue: Pending[] = [];
  #scheduled = false;
  #closed = false;
  #idle: (() => void)[] = [];
  readonly #apply: (w: Write) => number;
  /** #applyBatch in one transaction (built once, not per commit). */
  readonly #batchTx: (batch: Pending[]) => number[];
  readonly #multiInserts = new Map<number, Statement<unknown, (string | number)[]>>();
  readonly #idleCheckpointMs: number;
  readonly #idleCheckpointCommits: number;
  #commitsSinceCheckpoint = 0;
  #lastCommitMs = 0;
  #checkpointTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #logins: SqliteLogins;

  constructor(options: BbsStoreOptions = {}) {
    this.path = options.path ?? BBS_DEFAULTS.dbPath;
    this.#now = options.now ?? Date.now;
    const synchronous = options.synchronous ?? BBS_DEFAULTS.synchronous;
    if (synchronous !== "NORMAL" && synchronous !== "FULL") {
      throw new RangeError(`synchronous must be NORMAL or FULL, not ${synchronous}`);
    }
    if (this.path !== ":memory:") mkdirSync(dirname(this.path), { recursive: true });
    this.#db = new Database(this.path, { create: true, strict: true });
    this.#db.run("PRAGMA journal_mode = WAL");
    this.#db.run(`PRAGMA synchronous = ${synchronous}`);
    this.#db.run("PRAGMA busy_timeout = 5000");
    // Checkpoints fsync; the default (every 1000 pages) made them half the cost of posting.
    // A larger WAL checkpoints less often, at the price of a longer pause when it does.
    const walPages = options.walAutocheckpointPages ?? BBS_DEFAULTS.walAutocheckpointPages;
    if (!Number.isInteger(walPages) || walPages < 0) {
      throw new RangeError("walAutocheckpointPages must be a non-negative integer");
    }
    this.#db.run(`PRAGMA wal_autocheckpoint = ${walPages}`);
    this.#db.run(`PRAGMA journal_size_limit = ${64 * 1024 * 1024}`);
    this.#idleCheckpointMs = options.idleCheckpointMs ?? BBS_DEFAULTS.idleCheckpointMs;
    this.#idleCheckpointCommits =
      options.idleCheckpointCommits ?? BBS_DEFAULTS.idleCheckpointCommits;
    this.#db.run("PRAGMA foreign_keys = ON");
    migrateSqlite(this.#db, MIGRATIONS);
    this.#logins = new SqliteLogins(this.#db);

    const db = this.#db;
    // Positional parameters and run() (no RETURNING): the cheapest insert bun:sqlite offers.
    const insertPost = db.query<unknown, [string, string, number]>(
      "INSERT INTO posts (author, body, created_ms) VALUES (?1, ?2, ?3)",
    );
    const insertDm = db.query<unknown, [string, string, string, number]>(
      "INSERT INTO dms (sender, recipient, body, created_ms) VALUES (?1, ?2, ?3, ?4)",
    );
    // Either unique column may conflict (the spelling, or a look-alike's key): nothing stored.
    const insertAccount = db.query<unknown, [string, string, string, number]>(
      "INSERT INTO accounts (username, name_key, password_hash, created_ms) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
    );
    const upsertRead = db.query<unknown, [string, number]>(
      "INSERT INTO dm_reads (username, last_read_id) VALUES (?1, ?2) ON CONFLICT (username) DO UPDATE SET last_read_id = max(last_read_id, excluded.last_read_id)",
    );
    this.#batchTx = db.transaction((batch: Pending[]) => this.#applyBatch(batch));
    this.#apply = (w) => {
      const t = this.#now();
      switch (w.kind) {
        case "post":
          return Number(insertPost.run(w.author, w.body, t).lastInsertRowid);
        case "dm":
          return Number(insertDm.run(w.sender, w.recipient, w.body, t).lastInsertRowid);
        case "account":
          return insertAccount.run(w.username, w.nameKey, w.passwordHash, t).changes;
        case "dmRead":
          upsertRead.run(w.username, w.lastReadId);
          return w.lastReadId;
      }
    };
  }

  get location(): string {
    return this.path;
  }

  /** Stores a public post; resolves with its id once committed. */
  addPost(author: string, body: string): Promise<number> {
    return this.#enqueue({ kind: "post", author, body });
  }

  /** Stores a direct message; resolves with its id once committed. */
  addDm(sender: string, recipient: string, body: string): Promise<number> {
    return this.#enqueue({ kind: "dm", sender, recipient, body });
  }

  /** Creates an account; resolves true once committed, false if the name was taken. */
  async addAccount(username: string, passwordHash: string): Promise<boolean> {
    const key = nameKey(username);
    return (await this.#enqueue({ kind: "account", username, nameKey: key, passwordHash })) === 1;
  }

  /** Records that `username` has read its DMs up to `lastReadId` (never moves backwards). */
  async markDmsRead(username: string, lastReadId: number): Promise<void> {
    await this.#enqueue({ kind: "dmRead", username, lastReadId });
  }

  /** PRAGMA synchronous as SQLite reports it: 1 = NORMAL, 2 = FULL. */
  get synchronousLevel(): number {
    return (
      this.#db.query<{ synchronous: number }, []>("PRAGMA synchronous").get()?.synchronous ?? -1
    );
  }

  passwordHash(username: string): string | null {
    return (
      this.#db
        .query<{ h: string }, { u: string; k: string }>(
          "SELECT password_hash AS h FROM accounts WHERE name_key = $k OR username = $u ORDER BY username = $u DESC LIMIT 1",
        )
        .get({ u: username, k: nameKey(username) })?.h ?? null
    );
  }

  accountNames(): string[] {
    return this.#db
      .query<{ u: string }, []>("SELECT username AS u FROM accounts")
      .all()
      .map((r) => r.u);
  }

  reserveLogin(
    username: string,
    address: string,
    limits: LoginLimits,
    nowMs: number,
  ): LoginReservation {
    this.#open();
    return this.#logins.reserve(username, address, limits, nowMs);
  }

  loginSucceeded(attemptId: number, username: string): void {
    this.#open();
    this.#logins.succeeded(attemptId, username);
  }

  #open(): void {
    if (this.#closed) throw new BbsError("STORE_CLOSED", "store is closed");
  }

  /** Highest post id (0 when there are none): the snapshot a listing is taken at. */
  lastPostId(): number {
    return this.#db.query<{ m: number | null }, []>("SELECT max(id) AS m FROM posts").get()?.m ?? 0;
  }

  /** Number of posts with afterId < id <= uptoId. */
  countPosts(afterId: number, uptoId: number): number {
    return (
      this.#db
        .query<{ n: number }, { a: number; u: number }>(
          "SELECT count(*) AS n FROM posts WHERE id > $a AND id <= $u",
        )
        .get({ a: afterId, u: uptoId })?.n ?? 0
    );
  }

  /** Up to `limit` posts with afterId < id <= uptoId, oldest first. */
  posts(afterId: number, uptoId: number, limit: number): Post[] {
    return this.#db
      .query<Post, { a: number; u: number; l: number }>(
        "SELECT id, author, body, created_ms AS createdMs FROM posts WHERE id > $a AND id <= $u ORDER BY id LIMIT $l",
      )
      .all({ a: afterId, u: uptoId, l: limit });
  }

  /** Same as posts() as positional rows [id, author, body, createdMs]: the fast path for `list`. */
  postRows(afterId: number, uptoId: number, limit: number): [number, string, string, number][] {
    return this.#db
      .query<unknown, { a: number; u: number; l: number }>(
        "SELECT id, author, body, created_ms FROM posts WHERE id > $a AND id <= $u ORDER BY id LIMIT $l",
      )
      .values({ a: afterId, u: uptoId, l: limit }) as [number, string, string, number][];
  }

  /** Direct messages to `recipient` with id > afterId, oldest first. */
  dms(recipient: string, afterId = 0): DirectMessage[] {
    return this.#db
      .query<DirectMessage, { r: string; a: number }>(
        "SELECT id, sender, recipient, body, created_ms AS createdMs FROM dms WHERE recipient = $r AND id > $a ORDER BY id",
      )
      .all({ r: recipient, a: afterId });
  }

  /** DMs to `username` newer than its read mark. */
  unreadDmCount(username: string): number {
    return (
      this.#db
        .query<{ n: number }, { u: string }>(
          "SELECT count(*) AS n FROM dms WHERE recipient = $u AND id > coalesce((SELECT last_read_id FROM dm_reads WHERE username = $u), 0)",
        )
        .get({ u: username })?.n ?? 0
    );
  }

  /** Resolves when every queued write has been committed. */
  flush(): Promise<void> {
    if (this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Commits what is queued, then closes the database (checkpointing the WAL). */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    clearTimeout(this.#checkpointTimer);
    this.#db.close();
  }

  /**
   * Queues a write without a promise: `pending.resolve` (or `reject`) runs right after the commit
   * that holds it. A caller with one write in flight at a time can reuse one Pending object.
   */
  submit(pending: Pending): void {
    if (this.#closed) {
      // Never settle inside submit(): callers rely on "later", not "maybe now".
      queueMicrotask(() => pending.reject(new BbsError("STORE_CLOSED", "store is closed")));
      return;
    }
    this.#queue.push(pending);
    if (!this.#scheduled) {
      this.#scheduled = true;
      // setImmediate: after every session that is ready this turn has queued its write.
      setImmediate(this.#commitSoon);
    }
  }

  readonly #commitSoon = () => this.#commit();

  #enqueue(write: Write): Promise<number> {
    return new Promise((resolve, reject) => this.submit({ write, resolve, reject }));
  }

  /**
   * Applies a batch in order. Runs of consecutive posts go in multi-row INSERTs (up to
   * POSTS_PER_INSERT rows each): same rows, same order, same transaction, fewer calls into SQLite.
   * Rowids of one multi-row INSERT are consecutive (INTEGER PRIMARY KEY, one writer).
   */
  #applyBatch(batch: Pending[]): number[] {
    const results: number[] = new Array(batch.length);
    let i = 0;
    while (i < batch.length) {
      let j = i;
      while (j < batch.length && j - i < POSTS_PER_INSERT && batch[j]?.write.kind === "post") j++;
      const n = j - i;
      if (n < 2) {
        results[i] = this.#apply((batch[i] as Pending).write);
        i += 1;
        continue;
      }
      const t = this.#now();
      const params: (string | number)[] = new Array(n * 3);
      for (let k = 0; k < n; k++) {
        const w = (batch[i + k] as Pending).write as { author: string; body: string };
        params[k * 3] = w.author;
        params[k * 3 + 1] = w.body;
        params[k * 3 + 2] = t;
      }
      // One array argument binds positionally (bun:sqlite accepts it; its types only show the
      // spread form), which saves spreading 3 × n arguments on every commit.
      const insert = this.#multiInsert(n) as unknown as { run(p: unknown[]): Changes };
      const last = Number(insert.run(params).lastInsertRowid);
      for (let k = 0; k < n; k++) results[i + k] = last - n + 1 + k;
      i = j;
    }
    return results;
  }

  #multiInsert(rows: number) {
    let statement = this.#multiInserts.get(rows);
    if (!statement) {
      const values = Array.from({ length: rows }, () => "(?, ?, ?)").join(", ");
      statement = this.#db.prepare<unknown, (string | number)[]>(
        `INSERT INTO posts (author, body, created_ms) VALUES ${values}`,
      );
      this.#multiInserts.set(rows, statement);
    }
    return statement;
  }

  /**
   * Notes a commit and arms the idle checkpoint. A checkpoint copies the WAL into the database
   * and fsyncs; run during a lull it stays out of the way of posting, and the WAL starts over
   * from its beginning (rewriting blocks the file already has is cheaper than growing it).
   */
  #committed(): void {
    this.#commitsSinceCheckpoint += 1;
    if (this.#idleCheckpointMs <= 0 || this.path === ":memory:") return;
    this.#lastCommitMs = performance.now();
    if (this.#checkpointTimer === undefined) this.#armCheckpoint(this.#idleCheckpointMs);
  }

  #armCheckpoint(delayMs: number): void {
    this.#checkpointTimer = setTimeout(() => {
      this.#checkpointTimer = undefined;
      if (this.#closed) return;
      const quietFor = performance.now() - this.#lastCommitMs;
      if (quietFor < this.#idleCheckpointMs || this.#scheduled) {
        this.#armCheckpoint(Math.max(1, this.#idleCheckpointMs - quietFor));
        return;
      }
      if (this.#commitsSinceCheckpoint < this.#idleCheckpointCommits) return;
      this.#commitsSinceCheckpoint = 0;
      try {
        this.#db.run("PRAGMA wal_checkpoint(PASSIVE)");
        this.stats.checkpoints = (this.stats.checkpoints ?? 0) + 1;
      } catch {
        // Busy or failed: SQLite's automatic checkpoint still runs at wal_autocheckpoint.
      }
    }, delayMs);
    this.#checkpointTimer.unref?.();
  }

  #commit(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    const settle = new Settler();
    if (batch.length > 0) {
      let results: number[] | null = null;
      try {
        results = this.#batchTx(batch);
      } catch {
        // One bad write must not fail its neighbours: retry each in its own transaction.
        results = null;
      }
      this.#committed();
      if (results) {
        this.stats.commits += 1;
        this.stats.writes += batch.length;
        this.stats.maxBatch = Math.max(this.stats.maxBatch, batch.length);
        for (let i = 0; i < batch.length; i++) settle.resolve(batch[i] as Pending, results[i] ?? 0);
      } else {
        for (const p of batch) {
          let r: number;
          try {
            r = this.#db.transaction(() => this.#apply(p.write))();
          } catch (error) {
            settle.reject(p, error as Error);
            continue;
          }
          this.stats.commits += 1;
          this.stats.writes += 1;
          settle.resolve(p, r);
        }
      }
    }
    if (this.#queue.length === 0) {
      const idle = this.#idle;
      this.#idle = [];
      for (const f of idle) f();
    }
    settle.done();
  }
}
