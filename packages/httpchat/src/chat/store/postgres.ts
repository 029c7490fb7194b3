// Chat message storage on PostgreSQL through Bun's built-in SQL client, shared by every instance.
//
// Group commit: POSTs are queued; one commit loop takes everything queued, commits it in one
// transaction (one multi-row INSERT), then resolves each caller, and goes again while more arrived
// meanwhile. So the POSTs of one event-loop turn, and of every turn spent waiting for the previous
// commit, share one round trip and one WAL flush. A caller is answered only after COMMIT returned.
//
// Visibility order: each write transaction first takes a transaction-level advisory lock shared by
// every instance, and ids are drawn from the identity sequence only under it. So ids become visible
// in increasing order across instances: a reader that saw id N never later finds an id < N appear,
// and `since(N)` never skips a message.
//
// Failures: a batch whose transaction fails is refused whole (STORAGE_UNAVAILABLE, nothing
// acknowledged). Bun's client reconnects by itself on the next query once PostgreSQL is back.
import { SQL } from "bun";
import { WebChatError } from "../errors.ts";
import { migratePostgres, PG_LOCK_WRITE } from "./migrations.ts";
import type { ChatMessage, ChatStorage } from "./types.ts";

export const POSTGRES_STORE_DEFAULTS = {
  /** Connections in the pool: the commit loop uses one, reads run on the others. */
  maxConnections: 4,
  /** Seconds to wait for a new connection before the request gets 503. */
  connectionTimeoutS: 5,
  /** Rows per multi-row INSERT (3 parameters each; PostgreSQL allows 65,535). */
  rowsPerInsert: 1000,
} as const;

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** @default 4 */
  maxConnections?: number;
  /** @default 5 */
  connectionTimeoutS?: number;
}

interface Pending {
  name: string;
  text: string;
  time: string;
  resolve(message: ChatMessage): void;
  reject(error: Error): void;
}

/** A URL for logs: the password replaced by ***. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(invalid URL)";
  }
}

function unavailable(error: unknown): WebChatError {
  if (error instanceof WebChatError) return error;
  const e = error as { code?: string; message?: string };
  const err = new WebChatError(
    "STORAGE_UNAVAILABLE",
    `storage unavailable: ${e?.code ?? ""} ${e?.message ?? String(error)}`.trim(),
    503,
  );
  (err as { cause?: unknown }).cause = error;
  return err;
}

function toMessage(row: [string, string, string, Date]): ChatMessage {
  return { id: Number(row[0]), name: row[1], text: row[2], time: row[3].toISOString() };
}

export class PostgresMessageStore implements ChatStorage {
  readonly engine = "postgres" as const;
  readonly shared = true;
  readonly location: string;
  /** Commits and the largest batch, for tests and the bench. */
  readonly stats = { commits: 0, messages: 0, maxBatch: 0 };
  readonly #sql: SQL;
  #queue: Pending[] = [];
  #running = false;
  #closed = false;
  #idle: (() => void)[] = [];

  private constructor(sql: SQL, location: string) {
    this.#sql = sql;
    this.location = location;
  }

  /** Connects and migrates; rejects with STORAGE_UNAVAILABLE if PostgreSQL cannot be reached. */
  static async open(options: PostgresStoreOptions): Promise<PostgresMessageStore> {
    const sql = new SQL(options.url, {
      max: options.maxConnections ?? POSTGRES_STORE_DEFAULTS.maxConnections,
      connectionTimeout: options.connectionTimeoutS ?? POSTGRES_STORE_DEFAULTS.connectionTimeoutS,
    });
    try {
      await migratePostgres(sql);
    } catch (error) {
      await sql.close().catch(() => {});
      throw unavailable(error);
    }
    return new PostgresMessageStore(sql, redactUrl(options.url));
  }

  add(name: string, text: string): Promise<ChatMessage> {
    if (this.#closed)
      return Promise.reject(new WebChatError("STORE_CLOSED", "store is closed", 503));
    return new Promise((resolve, reject) => {
      this.#queue.push({ name, text, time: new Date().toISOString(), resolve, reject });
      if (!this.#running) {
        this.#running = true;
        // setImmediate: every request parsed this turn has queued its message first.
        setImmediate(() => void this.#commitLoop());
      }
    });
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
    if (this.#closed) return;
    this.#closed = true;
    if (this.#running) await new Promise<void>((resolve) => this.#idle.push(resolve));
    await this.#sql.close();
  }

  async #read<T>(f: (sql: SQL) => Promise<T>): Promise<T> {
    if (this.#closed) throw new WebChatError("STORE_CLOSED", "store is closed", 503);
    try {
      return await f(this.#sql);
    } catch (error) {
      throw unavailable(error);
    }
  }

  async #commitLoop(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      let messages: ChatMessage[];
      try {
        messages = await this.#sql.begin((tx) => this.#insertBatch(tx, batch));
      } catch (error) {
        // Nothing of this transaction is acknowledged. (If the connection broke during COMMIT,
        // the rows may exist although the callers were refused: never the other way round.)
        const refused = unavailable(error);
        for (const p of batch) p.reject(refused);
        continue;
      }
      this.stats.commits += 1;
      this.stats.messages += batch.length;
      this.stats.maxBatch = Math.max(this.stats.maxBatch, batch.length);
      for (let i = 0; i < batch.length; i++) batch[i]?.resolve(messages[i] as ChatMessage);
    }
    this.#running = false;
    const idle = this.#idle;
    this.#idle = [];
    for (const f of idle) f();
  }

  /** Inserts the batch in order under the write lock; returns the stored messages in batch order. */
  async #insertBatch(tx: SQL, batch: Pending[]): Promise<ChatMessage[]> {
    await tx`SELECT pg_advisory_xact_lock(${PG_LOCK_WRITE})`;
    const out: ChatMessage[] = [];
    const step = POSTGRES_STORE_DEFAULTS.rowsPerInsert;
    for (let i = 0; i < batch.length; i += step) {
      const chunk = batch.slice(i, i + step);
      const rows = chunk.map((p) => ({ name: p.name, text: p.text, time: p.time }));
      const ids = (await tx`INSERT INTO messages ${tx(rows)} RETURNING id`.values()) as [string][];
      // Identity values are drawn in VALUES order: sorted ids pair with the rows in order.
      const sorted = ids.map((r) => Number(r[0])).sort((a, b) => a - b);
      for (let k = 0; k < chunk.length; k++) {
        const p = chunk[k] as Pending;
        out.push({ id: sorted[k] as number, name: p.name, text: p.text, time: p.time });
      }
    }
    return out;
  }
}
