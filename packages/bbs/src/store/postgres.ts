// PgStore: the BBS storage on PostgreSQL through Bun's built-in SQL client, with group commit.
//
// Writes go through @netkit/store's GroupCommit: the writes of one event-loop turn, and of every
// turn spent waiting for the previous commit, share one transaction. Each write transaction first
// takes a transaction-level advisory lock, shared by every instance on the database: ids are
// drawn from the identity sequences only under that lock, so ids become visible in increasing
// order and a reader that saw post N will never later find a post < N appear (`since N` never
// misses anything).
//
// Failures: a write whose transaction fails rejects with BbsError("STORAGE_UNAVAILABLE") and is
// never acknowledged; in a failed batch of several writes each is retried alone (one bad write
// must not fail its neighbours), unless PostgreSQL is unreachable. Bun's client reconnects by
// itself on the next query once PostgreSQL is back.

import { nameKey } from "@netkit/framing";
import {
  describeFailure,
  GroupCommit,
  migratePostgres,
  openPostgres,
  redactUrl,
} from "@netkit/store";
import type { SQL } from "bun";
import { BbsError } from "../errors.ts";
import { pgLoginSucceeded, reservePgLogin } from "./postgres-logins.ts";
import { PG_LOCK_WRITE, PG_MIGRATE_OPTIONS, PG_MIGRATIONS } from "./postgres-migrations.ts";
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

/** Rows per multi-row INSERT (3 parameters each, PostgreSQL allows 65,535). */
const POSTS_PER_INSERT = 1000;

/** Options of `PgStore.open`. */
export interface PgStoreOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** Connections in the pool (reads run concurrently with the commit loop). @default 4 */
  maxConnections?: number;
  /** Clock for created_ms (tests). @default Date.now */
  now?: () => number;
}

function unavailable(error: unknown): BbsError {
  if (error instanceof BbsError) return error;
  const err = new BbsError("STORAGE_UNAVAILABLE", `storage unavailable: ${describeFailure(error)}`);
  (err as { cause?: unknown }).cause = error;
  return err;
}

function storeClosed(): BbsError {
  return new BbsError("STORE_CLOSED", "store is closed");
}

/** The PostgreSQL store, shared by several instances, with group commit. */
export class PgStore implements BbsStorage {
  readonly engine = "postgres" as const;
  readonly location: string;
  readonly stats: StoreStats;
  readonly #sql: SQL;
  readonly #now: () => number;
  readonly #commits: GroupCommit<Write, number>;

  private constructor(sql: SQL, location: string, now: () => number) {
    this.#sql = sql;
    this.location = location;
    this.#now = now;
    this.#commits = new GroupCommit({
      commit: (writes) => sql.begin((tx) => this.#applyBatch(tx, writes)),
      refuse: unavailable,
      // Unreachable: refuse the whole batch (nothing was committed) rather than retry each write.
      retryOneByOne: (error) =>
        !/CONNECTION|CLOSED|TIMEOUT/i.test((error as { code?: string })?.code ?? ""),
      closedError: storeClosed,
    });
    this.stats = this.#commits.stats;
  }

  /** Connects and migrates; rejects (STORAGE_UNAVAILABLE) if PostgreSQL cannot be reached. */
  static async open(options: PgStoreOptions): Promise<PgStore> {
    let sql: SQL;
    try {
      sql = await openPostgres(options.url, {
        maxConnections: options.maxConnections ?? 4,
        prepare: (sql) => migratePostgres(sql, PG_MIGRATIONS, PG_MIGRATE_OPTIONS),
      });
    } catch (error) {
      throw unavailable(error);
    }
    return new PgStore(sql, redactUrl(options.url), options.now ?? Date.now);
  }

  addPost(author: string, body: string): Promise<number> {
    return this.#commits.add({ kind: "post", author, body });
  }

  addDm(sender: string, recipient: string, body: string): Promise<number> {
    return this.#commits.add({ kind: "dm", sender, recipient, body });
  }

  async addAccount(username: string, passwordHash: string): Promise<boolean> {
    const key = nameKey(username);
    return (
      (await this.#commits.add({ kind: "account", username, nameKey: key, passwordHash })) === 1
    );
  }

  async markDmsRead(username: string, lastReadId: number): Promise<void> {
    await this.#commits.add({ kind: "dmRead", username, lastReadId });
  }

  passwordHash(username: string): Promise<string | null> {
    return this.#read(async (sql) => {
      const key = nameKey(username);
      const [row] =
        await sql`SELECT password_hash AS h FROM accounts WHERE name_key = ${key} OR username = ${username} ORDER BY username = ${username} DESC LIMIT 1`;
      return (row?.h as string | undefined) ?? null;
    });
  }

  accountNames(): Promise<string[]> {
    return this.#read(async (sql) => {
      const rows = await sql`SELECT username AS u FROM accounts`.values();
      return (rows as [string][]).map((r) => r[0]);
    });
  }

  reserveLogin(
    username: string,
    address: string,
    limits: LoginLimits,
    nowMs: number,
  ): Promise<LoginReservation> {
    return this.#read((sql) => reservePgLogin(sql, username, address, limits, nowMs));
  }

  loginSucceeded(attemptId: number, username: string): Promise<void> {
    return this.#read((sql) => pgLoginSucceeded(sql, attemptId, username));
  }

  lastPostId(): Promise<number> {
    return this.#read(async (sql) => {
      const [row] = await sql`SELECT coalesce(max(id), 0) AS m FROM posts`;
      return Number(row?.m ?? 0);
    });
  }

  countPosts(afterId: number, uptoId: number): Promise<number> {
    return this.#read(async (sql) => {
      const [row] =
        await sql`SELECT count(*) AS n FROM posts WHERE id > ${afterId} AND id <= ${uptoId}`;
      return Number(row?.n ?? 0);
    });
  }

  async posts(afterId: number, uptoId: number, limit: number): Promise<Post[]> {
    const rows = await this.postRows(afterId, uptoId, limit);
    return rows.map(([id, author, body, createdMs]) => ({ id, author, body, createdMs }));
  }

  postRows(
    afterId: number,
    uptoId: number,
    limit: number,
  ): Promise<[number, string, string, number][]> {
    return this.#read(async (sql) => {
      const rows =
        (await sql`SELECT id, author, body, created_ms FROM posts WHERE id > ${afterId} AND id <= ${uptoId} ORDER BY id LIMIT ${limit}`.values()) as [
          string,
          string,
          string,
          string,
        ][];
      return rows.map((r) => [Number(r[0]), r[1], r[2], Number(r[3])]);
    });
  }

  dms(recipient: string, afterId = 0): Promise<DirectMessage[]> {
    return this.#read(async (sql) => {
      const rows =
        (await sql`SELECT id, sender, body, created_ms FROM dms WHERE recipient = ${recipient} AND id > ${afterId} ORDER BY id`.values()) as [
          string,
          string,
          string,
          string,
        ][];
      return rows.map((r) => ({
        id: Number(r[0]),
        sender: r[1],
        recipient,
        body: r[2],
        createdMs: Number(r[3]),
      }));
    });
  }

  unreadDmCount(username: string): Promise<number> {
    return this.#read(async (sql) => {
      const [row] =
        await sql`SELECT count(*) AS n FROM dms WHERE recipient = ${username} AND id > coalesce((SELECT last_read_id FROM dm_reads WHERE username = ${username}), 0)`;
      return Number(row?.n ?? 0);
    });
  }

  flush(): Promise<void> {
    return this.#commits.flush();
  }

  async close(): Promise<void> {
    if (this.#commits.closed) return;
    await this.#commits.close();
    await this.#sql.close();
  }

  async #read<T>(f: (sql: SQL) => Promise<T>): Promise<T> {
    if (this.#commits.closed) throw storeClosed();
    try {
      return await f(this.#sql);
    } catch (error) {
      throw unavailable(error);
    }
  }

  /** Queues a write without a promise: `pending.resolve` (or `reject`) runs after its commit. */
  submit(pending: Pending): void {
    this.#commits.submit(pending);
  }

  /** Applies a batch in order under the write lock; runs of posts go in multi-row INSERTs. */
  async #applyBatch(tx: SQL, batch: Write[]): Promise<number[]> {
    await tx`SELECT pg_advisory_xact_lock(${PG_LOCK_WRITE})`;
    const t = this.#now();
    const results: number[] = new Array(batch.length);
    let i = 0;
    while (i < batch.length) {
      const w = batch[i] as Write;
      if (w.kind === "post") {
        let j = i;
        while (j < batch.length && j - i < POSTS_PER_INSERT && batch[j]?.kind === "post") j++;
        const rows = batch.slice(i, j).map((p) => {
          const post = p as { author: string; body: string };
          return { author: post.author, body: post.body, created_ms: t };
        });
        const ids = await tx`INSERT INTO posts ${tx(rows)} RETURNING id`.values();
        for (let k = 0; k < rows.length; k++) results[i + k] = Number((ids[k] as [string])[0]);
        i = j;
        continue;
      }
      switch (w.kind) {
        case "dm": {
          const [row] =
            await tx`INSERT INTO dms (sender, recipient, body, created_ms) VALUES (${w.sender}, ${w.recipient}, ${w.body}, ${t}) RETURNING id`;
          results[i] = Number(row?.id);
          break;
        }
        case "account": {
          const r =
            await tx`INSERT INTO accounts (username, name_key, password_hash, created_ms) VALUES (${w.username}, ${w.nameKey}, ${w.passwordHash}, ${t}) ON CONFLICT DO NOTHING`;
          results[i] = r.count;
          break;
        }
        case "dmRead":
          await tx`INSERT INTO dm_reads (username, last_read_id) VALUES (${w.username}, ${w.lastReadId}) ON CONFLICT (username) DO UPDATE SET last_read_id = greatest(dm_reads.last_read_id, excluded.last_read_id)`;
          results[i] = w.lastReadId;
          break;
      }
      i += 1;
    }
    return results;
  }
}
