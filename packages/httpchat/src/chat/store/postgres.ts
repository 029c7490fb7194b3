// Chat message storage on PostgreSQL through Bun's built-in SQL client, shared by every instance.
//
// Group commit (@netkit/store's GroupCommit): the POSTs of one event-loop turn, and of every turn
// spent waiting for the previous commit, share one transaction (one multi-row INSERT), so one
// round trip and one WAL flush. A caller is answered only after COMMIT returned.
//
// Visibility order: each write transaction first takes a transaction-level advisory lock shared by
// every instance, and ids are drawn from the identity sequence only under it. So ids become visible
// in increasing order across instances: a reader that saw id N never later finds an id < N appear,
// and `since(N)` never skips a message.
//
// Failures: a batch whose transaction fails is refused whole (STORAGE_UNAVAILABLE, nothing
// acknowledged). Bun's client reconnects by itself on the next query once PostgreSQL is back.
import {
  describeFailure,
  GroupCommit,
  type GroupCommitStats,
  migratePostgres,
  openPostgres,
  redactUrl,
} from "@netkit/store";
import type { SQL } from "bun";
import { WebChatError } from "../errors.ts";
import { PG_LOCK_WRITE, POSTGRES_MIGRATE_OPTIONS, POSTGRES_MIGRATIONS } from "./migrations.ts";
import type { ChatMessage, ChatStorage } from "./types.ts";

/** What `PostgresMessageStore` uses for an option left out. */
export const POSTGRES_STORE_DEFAULTS = {
  /** Connections in the pool: the commit loop uses one, reads run on the others. */
  maxConnections: 4,
  /** Seconds to wait for a new connection before the request gets 503. */
  connectionTimeoutS: 5,
  /** Rows per multi-row INSERT (3 parameters each; PostgreSQL allows 65,535). */
  rowsPerInsert: 1000,
} as const;

/** Options of `PostgresMessageStore.open`. */
export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** @default 4 */
  maxConnections?: number;
  /** @default 5 */
  connectionTimeoutS?: number;
}

/** A message waiting for the next group commit. */
interface Draft {
  name: string;
  text: string;
  time: string;
  key: string | null;
}

function unavailable(error: unknown): WebChatError {
  if (error instanceof WebChatError) return error;
  const err = new WebChatError(
    "STORAGE_UNAVAILABLE",
    `storage unavailable: ${describeFailure(error)}`,
    503,
  );
  (err as { cause?: unknown }).cause = error;
  return err;
}

function storeClosed(): WebChatError {
  return new WebChatError("STORE_CLOSED", "store is closed", 503);
}

function toMessage(row: [string, string, string, Date]): ChatMessage {
  return { id: Number(row[0]), name: row[1], text: row[2], time: row[3].toISOString() };
}

/** The PostgreSQL message store, shared by several instances; commits in groups. */
export class PostgresMessageStore implements ChatStorage {
  readonly engine = "postgres" as const;
  readonly shared = true;
  readonly location: string;
  /** Commits and the largest batch, for tests and the bench. */
  readonly stats: GroupCommitStats;
  readonly #sql: SQL;
  readonly #commits: GroupCommit<Draft, ChatMessage>;

  private constructor(sql: SQL, location: string) {
    this.#sql = sql;
    this.location = location;
    // A failed batch is refused whole: nothing of it is acknowledged.
    this.#commits = new GroupCommit({
      commit: (drafts) => sql.begin((tx) => this.#insertBatch(tx, drafts)),
      refuse: unavailable,
      closedError: storeClosed,
    });
    this.stats = this.#commits.stats;
  }

  /** Connects and migrates; rejects with STORAGE_UNAVAILABLE if PostgreSQL cannot be reached. */
  static async open(options: PostgresStoreOptions): Promise<PostgresMessageStore> {
    let sql: SQL;
    try {
      sql = await openPostgres(options.url, {
        maxConnections: options.maxConnections ?? POSTGRES_STORE_DEFAULTS.maxConnections,
        connectionTimeoutS:
          options.connectionTimeoutS ?? POSTGRES_STORE_DEFAULTS.connectionTimeoutS,
        prepare: (sql) => migratePostgres(sql, POSTGRES_MIGRATIONS, POSTGRES_MIGRATE_OPTIONS),
      });
    } catch (error) {
      throw unavailable(error);
    }
    return new PostgresMessageStore(sql, redactUrl(options.url));
  }

  add(name: string, text: string, key?: string): Promise<ChatMessage> {
    return this.#commits.add({ name, text, time: new Date().toISOString(), key: key ?? null });
  }

  since(since: number, limit: number): Promise<ChatMessage[]> {
    return this.#read(async (sql) => {
      const rows =
        (await sql`SELECT id, name, text, time FROM messages WHERE id > ${since} ORDER BY id LIMIT ${limit}`.values()) as [
          string,
          string,
          string,
          Date,
        ][];
      return rows.map(toMessage);
    });
  }

  latestId(): Promise<number> {
    return this.#read(async (sql) => {
      const [row] = await sql`SELECT coalesce(max(id), 0) AS m FROM messages`;
      return Number(row?.m ?? 0);
    });
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

  /**
   * Inserts the batch in order under the write lock; returns the stored messages in batch order.
   * A draft whose key is stored already (or appears earlier in the batch) is not inserted: it
   * gets the message stored under that key. Under the lock no other instance can store that key
   * between the look-up and the insert.
   */
  async #insertBatch(tx: SQL, batch: Draft[]): Promise<ChatMessage[]> {
    await tx`SELECT pg_advisory_xact_lock(${PG_LOCK_WRITE})`;
    const byKey = await this.#storedKeys(tx, batch);
    const fresh: Draft[] = [];
    for (const draft of batch) {
      if (draft.key === null || !byKey.has(draft.key)) fresh.push(draft);
      if (draft.key !== null) byKey.set(draft.key, byKey.get(draft.key) ?? draft);
    }
    const stored = new Map<Draft, ChatMessage>();
    const step = POSTGRES_STORE_DEFAULTS.rowsPerInsert;
    for (let i = 0; i < fresh.length; i += step) {
      const chunk = fresh.slice(i, i + step);
      const rows = chunk.map((p) => ({
        name: p.name,
        text: p.text,
        time: p.time,
        client_key: p.key,
      }));
      const ids = (await tx`INSERT INTO messages ${tx(rows)} RETURNING id`.values()) as [string][];
      // Identity values are drawn in VALUES order: sorted ids pair with the rows in order.
      const sorted = ids.map((r) => Number(r[0])).sort((a, b) => a - b);
      for (let k = 0; k < chunk.length; k++) {
        const p = chunk[k] as Draft;
        stored.set(p, { id: sorted[k] as number, name: p.name, text: p.text, time: p.time });
      }
    }
    return batch.map((draft) => {
      const own = stored.get(draft);
      if (own) return own;
      const first = byKey.get(draft.key as string) as ChatMessage | Draft;
      return "id" in first ? first : (stored.get(first) as ChatMessage);
    });
  }

  /** The messages already stored under the batch's keys, by key. */
  async #storedKeys(tx: SQL, batch: Draft[]): Promise<Map<string, ChatMessage | Draft>> {
    const keys = batch.flatMap((draft) => (draft.key === null ? [] : [draft.key]));
    const found = new Map<string, ChatMessage | Draft>();
    if (keys.length === 0) return found;
    const rows =
      (await tx`SELECT id, name, text, time, client_key FROM messages WHERE client_key IN ${tx(keys)}`.values()) as [
        string,
        string,
        string,
        Date,
        string,
      ][];
    for (const row of rows) found.set(row[4], toMessage([row[0], row[1], row[2], row[3]]));
    return found;
  }
}
