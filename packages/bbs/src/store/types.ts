// The storage interface of the BBS: one implementation per engine (SQLite in store.ts, PostgreSQL
// in postgres.ts). Writes resolve only after the transaction holding them committed. Reads may be
// synchronous (SQLite, in-process) or asynchronous (PostgreSQL): callers always `await` them.

import type { PendingWrite } from "@netkit/store";

export type Awaitable<T> = T | Promise<T>;

/** A stored public post. */
export interface Post {
  id: number;
  author: string;
  body: string;
  createdMs: number;
}

/** A stored direct message. */
export interface DirectMessage {
  id: number;
  sender: string;
  recipient: string;
  body: string;
  createdMs: number;
}

/** Counters of a store's group commit. */
export interface StoreStats {
  /** Transactions committed by the group commit. */
  commits: number;
  /** Writes committed. */
  writes: number;
  /** Largest number of writes in one transaction. */
  maxBatch: number;
  /** WAL checkpoints run while writes paused (SQLite only). */
  checkpoints?: number;
}

/** The failed-login limits a reservation is checked against (see throttle.ts). */
export interface LoginLimits {
  /** Attempts per username per window (in flight or failed). */
  maxPerName: number;
  /** Attempts per address key per window, across names. */
  maxPerAddress: number;
  windowMs: number;
}

/** attemptId > 0: the attempt may check its password. 0: refused, retry in retryAfterMs. */
export interface LoginReservation {
  attemptId: number;
  retryAfterMs: number;
}

/** What the board needs from its storage; `BbsStore` (SQLite) and `PgStore` (PostgreSQL) implement it. */
export interface BbsStorage {
  /** "sqlite" or "postgres". */
  readonly engine: "sqlite" | "postgres";
  /** Where the data is, for logs (a file path, or a URL without its password). */
  readonly location: string;
  readonly stats: StoreStats;
  /** Stores a public post; resolves with its id once committed. */
  addPost(author: string, body: string): Promise<number>;
  /** Stores a direct message; resolves with its id once committed. */
  addDm(sender: string, recipient: string, body: string): Promise<number>;
  /** Creates an account; resolves true once committed, false if the name was taken. */
  addAccount(username: string, passwordHash: string): Promise<boolean>;
  /** Records that `username` has read its DMs up to `lastReadId` (never moves backwards). */
  markDmsRead(username: string, lastReadId: number): Promise<void>;
  /**
   * The hash of the account `username` names: the one with its `nameKey` (or, for an account
   * that lost its key to an older look-alike in migration 3, exactly this spelling).
   */
  passwordHash(username: string): Awaitable<string | null>;
  accountNames(): Awaitable<string[]>;
  /**
   * Atomically (across every process on the database): if fewer than the limits' attempts by
   * `username` and by `address` are recorded within the window, records one at `nowMs` and
   * returns its id. The record counts as a failure until loginSucceeded() removes it.
   */
  reserveLogin(
    username: string,
    address: string,
    limits: LoginLimits,
    nowMs: number,
  ): Awaitable<LoginReservation>;
  /** The attempt's password was right: drop its record, and forgive the name (not the address). */
  loginSucceeded(attemptId: number, username: string): Awaitable<void>;
  /** Highest post id (0 when there are none): the snapshot a listing is taken at. */
  lastPostId(): Awaitable<number>;
  /** Number of posts with afterId < id <= uptoId. */
  countPosts(afterId: number, uptoId: number): Awaitable<number>;
  /** Up to `limit` posts with afterId < id <= uptoId, oldest first. */
  posts(afterId: number, uptoId: number, limit: number): Awaitable<Post[]>;
  /** Same as posts() as positional rows [id, author, body, createdMs]: the fast path for `list`. */
  postRows(
    afterId: number,
    uptoId: number,
    limit: number,
  ): Awaitable<[number, string, string, number][]>;
  /** Direct messages to `recipient` with id > afterId, oldest first. */
  dms(recipient: string, afterId?: number): Awaitable<DirectMessage[]>;
  /** DMs to `username` newer than its read mark. */
  unreadDmCount(username: string): Awaitable<number>;
  /**
   * Queues a write for the next group commit without a promise: `pending.resolve` (or `reject`)
   * runs right after the commit that holds it. Several in flight at once commit in submit order.
   */
  submit(pending: Pending): void;
  /** Resolves when every queued write has been committed (or refused). */
  flush(): Promise<void>;
  /** Commits what is queued, then closes. */
  close(): Promise<void>;
}

/** One write waiting for the next group commit (both engines batch the same kinds). */
export type Write =
  | { kind: "post"; author: string; body: string }
  | { kind: "dm"; sender: string; recipient: string; body: string }
  /** `nameKey` is the username's framing `nameKey`: two names with one key are one account. */
  | { kind: "account"; username: string; nameKey: string; passwordHash: string }
  | { kind: "dmRead"; username: string; lastReadId: number };

/** A queued write and the promise of its caller, settled after the commit. */
export type Pending = PendingWrite<Write, number>;
