// Chat message storage on bun:sqlite: append-only, ids keep increasing across restarts.
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

export interface ChatMessage {
  id: number;
  name: string;
  text: string;
  /** ISO 8601 UTC time the server stored it. */
  time: string;
}

export class MessageStore {
  readonly #db: Database;
  readonly #insert;
  readonly #since;
  readonly #latest;

  /** Opens (creating folder and file if needed) a WAL-mode database; ":memory:" for tests. */
  constructor(readonly path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.#db = new Database(path, { create: true, strict: true });
    this.#db.run("PRAGMA journal_mode = WAL");
    this.#db.run("PRAGMA synchronous = NORMAL");
    this.#db.run("PRAGMA busy_timeout = 5000");
    // AUTOINCREMENT: an id is never reused, even if the newest rows were ever deleted.
    this.#db.run(
      "CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, text TEXT NOT NULL, time TEXT NOT NULL)",
    );
    this.#insert = this.#db.prepare<ChatMessage, { name: string; text: string; time: string }>(
      "INSERT INTO messages (name, text, time) VALUES ($name, $text, $time) RETURNING id, name, text, time",
    );
    this.#since = this.#db.prepare<ChatMessage, { since: number; limit: number }>(
      "SELECT id, name, text, time FROM messages WHERE id > $since ORDER BY id LIMIT $limit",
    );
    this.#latest = this.#db.prepare<{ id: number | null }, []>(
      "SELECT MAX(id) AS id FROM messages",
    );
  }

  add(name: string, text: string): ChatMessage {
    return this.#insert.get({ name, text, time: new Date().toISOString() }) as ChatMessage;
  }

  /** Messages with id > `since`, oldest first, at most `limit`. */
  since(since: number, limit: number): ChatMessage[] {
    return this.#since.all({ since, limit });
  }

  latestId(): number {
    return this.#latest.get()?.id ?? 0;
  }

  close(): void {
    this.#db.close();
  }
}
