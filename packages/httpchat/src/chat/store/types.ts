// The chat's storage interface: one implementation per engine (SQLite embedded, PostgreSQL shared).

/** One stored chat message, as `/messages` returns it. */
export interface ChatMessage {
  id: number;
  name: string;
  text: string;
  /** ISO 8601 UTC time the server stored it. */
  time: string;
}

/**
 * Append-only message storage. Ids increase and become visible in increasing order, so a reader
 * that has seen id N and asks `since(N)` never misses a message committed later.
 * Engine failures reject with `WebChatError("STORAGE_UNAVAILABLE")`, after close with "STORE_CLOSED".
 */
export interface ChatStorage {
  readonly engine: "sqlite" | "postgres";
  /** File path or redacted URL, for logs. */
  readonly location: string;
  /** True when other processes may write to the same store (reads must be re-checked). */
  readonly shared: boolean;
  /**
   * Resolves once the message is committed (durable), with its id. With a `key` (the client's
   * idempotency key) already stored, nothing is stored again: it resolves with that message.
   */
  add(name: string, text: string, key?: string): Promise<ChatMessage>;
  /** Messages with id > `since`, oldest first, at most `limit`. */
  since(since: number, limit: number): Promise<ChatMessage[]>;
  /** Highest id stored, 0 when empty. */
  latestId(): Promise<number>;
  /** Waits for pending writes, then closes. */
  close(): Promise<void>;
}
