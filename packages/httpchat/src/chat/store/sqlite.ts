// Chat message storage on bun:sqlite (the embedded default): append-only, ids keep increasing
// across restarts. One process owns the file; WAL with synchronous=NORMAL.
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { migrateSqlite } from "@netkit/store";
import { WebChatError } from "../errors.ts";
import { SQLITE_MIGRATIONS } from "./migrations.ts";
import type { ChatMessage, ChatStorage } from "./types.ts";

/** The SQLite message store (the embedded default). */
export class MessageStore implements ChatStorage {
  readonly engine = "sqlite" as const;
  readonly shared = false;
  readonly location: string;
  readonly #db: Database;
  readonly #insert;
  readonly #byKey;
  readonly #since;
  readonly #latest;
  #closed = false;

  /** Opens (creating folder and file if needed) a WAL-mode database; ":memory:" for tests. */
  constructor(readonly path: string) {
    this.location = path;
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.#db = new Database(path, { create: true, strict: true });
    this.#db.run("PRAGMA journal_mode = WAL");
    this.#db.run("PRAGMA synchronous = NORMAL");
    this.#db.run("PRAGMA busy_timeout = 5000");
    migrateSqlite(this.#db, SQLITE_MIGRATIONS);
    this.#insert = this.#db.prepare<
      ChatMessage,
      { name: string; text: string; time: string; key: string | null }
    >(
      "INSERT INTO messages (name, text, time, client_key) VALUES ($name, $text, $time, $key) RETURNING id, name, text, time",
    );
    this.#byKey = this.#db.prepare<ChatMessage, { key: string }>(
      "SELECT id, name, text, time FROM messages WHERE client_key = $key",
    );
    this.#since = this.#db.prepare<ChatMessage, { since: number; limit: number }>(
      "SELECT id, name, text, time FROM messages WHERE id > $since ORDER BY id LIMIT $limit",
    );
    this.#latest = this.#db.prepare<{ id: number | null }, []>(
      "SELECT MAX(id) AS id FROM messages",
    );
  }

  /**
   * Synchronous insert (the file is local: committed when this returns). With a `key` already
   * stored, the message stored under it; the unique index settles a race with another process.
   */
  addSync(name: string, text: string, key?: string): ChatMessage {
    this.#check();
    if (key !== undefined) {
      const earlier = this.#byKey.get({ key });
      if (earlier) return earlier;
    }
    const time = new Date().toISOString();
    try {
      return this.#insert.get({ name, text, time, key: key ?? null }) as ChatMessage;
    } catch (error) {
      // Another process on the same file stored the key between the look-up and the insert.
      const stored = key === undefined ? null : this.#byKey.get({ key });
      if (stored) return stored;
      throw error;
    }
  }

  async add(name: string, text: string, key?: string): Promise<ChatMessage> {
    return this.addSync(name, text, key);
  }

  sinceSync(since: number, limit: number): ChatMessage[] {
    this.#check();
    return this.#since.all({ since, limit });
  }

  async since(since: number, limit: number): Promise<ChatMessage[]> {
    return this.sinceSync(since, limit);
  }

  latestIdSync(): number {
    this.#check();
    return this.#latest.get()?.id ?? 0;
  }

  async latestId(): Promise<number> {
    return this.latestIdSync();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #check(): void {
    if (this.#closed) throw new WebChatError("STORE_CLOSED", "store is closed", 503);
  }
}
