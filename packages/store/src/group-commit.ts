// GroupCommit: writes queued by many callers, committed together, each caller answered only after
// the transaction holding its write committed.
//
// One commit loop runs at a time: it takes everything queued, commits it in one transaction,
// settles each writer, and goes again while writes arrived meanwhile. The loop starts on
// setImmediate, after every caller that is ready this event-loop turn has queued its write, so
// the writes of one turn, and of every turn spent waiting for the previous commit, share one
// transaction (one round trip, one WAL flush).

import { StoreError } from "./errors.ts";
import { type Settleable, Settler } from "./settler.ts";

/** A write waiting for the next group commit, and the callbacks settled after it. */
export interface PendingWrite<W, R> extends Settleable<R> {
  write: W;
}

/** Counters of a group-commit queue, for tests, logs and benches. */
export interface GroupCommitStats {
  /** Transactions committed. */
  commits: number;
  /** Writes committed. */
  writes: number;
  /** Largest number of writes in one transaction. */
  maxBatch: number;
}

/** What a group-commit queue commits and how it reports failures. */
export interface GroupCommitOptions<W, R> {
  /**
   * Commits the writes in one transaction and returns one result per write, in order
   * (PostgreSQL: `sql.begin(tx => ...)`). If it rejects, nothing of the batch counts as committed.
   */
  commit(writes: W[]): Promise<R[]>;
  /** What the writers of a failed commit are rejected with (the service's own error). */
  refuse(error: unknown): Error;
  /**
   * Whether a failed batch of several writes is retried one write per transaction, so that one
   * bad write does not fail its neighbours. Answer false when the engine is unreachable.
   * @default () => false (the whole batch is refused)
   */
  retryOneByOne?(error: unknown): boolean;
  /** The error for a write submitted after close(). @default StoreError("QUEUE_CLOSED") */
  closedError?(): Error;
}

/** A group-commit queue (see the file comment). */
export class GroupCommit<W, R> {
  /** Transactions and writes committed so far. */
  readonly stats: GroupCommitStats = { commits: 0, writes: 0, maxBatch: 0 };
  readonly #o: GroupCommitOptions<W, R>;
  #queue: PendingWrite<W, R>[] = [];
  #running = false;
  #closed = false;
  #idle: (() => void)[] = [];

  constructor(options: GroupCommitOptions<W, R>) {
    this.#o = options;
  }

  /** True once close() was called: new writes are refused. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Queues a write without allocating a promise: `pending.resolve` (or `reject`) runs after the
   * commit that holds it, never inside submit() itself. Writes commit in submit order.
   */
  submit(pending: PendingWrite<W, R>): void {
    if (this.#closed) {
      // Never settle inside submit(): callers rely on "later", not "maybe now".
      const error = this.#o.closedError?.() ?? new StoreError("QUEUE_CLOSED", "store is closed");
      queueMicrotask(() => pending.reject(error));
      return;
    }
    this.#queue.push(pending);
    if (!this.#running) {
      this.#running = true;
      setImmediate(() => void this.#commitLoop());
    }
  }

  /** Queues a write; resolves with its result once committed. */
  add(write: W): Promise<R> {
    return new Promise((resolve, reject) => this.submit({ write, resolve, reject }));
  }

  /** Resolves when every queued write has been committed (or refused). */
  flush(): Promise<void> {
    if (this.#queue.length === 0 && !this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Refuses new writes from now on; resolves once those already queued are committed or refused. */
  close(): Promise<void> {
    this.#closed = true;
    return this.flush();
  }

  async #commitLoop(): Promise<void> {
    const settle = new Settler();
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      let results: R[] | null = null;
      let failure: unknown;
      try {
        results = await this.#o.commit(batch.map((p) => p.write));
      } catch (error) {
        failure = error;
      }
      if (results) {
        this.#count(batch.length);
        for (let i = 0; i < batch.length; i++) {
          settle.resolve(batch[i] as PendingWrite<W, R>, results[i] as R);
        }
      } else if (batch.length > 1 && this.#o.retryOneByOne?.(failure)) {
        for (const p of batch) {
          let result: R[];
          try {
            result = await this.#o.commit([p.write]);
          } catch (error) {
            settle.reject(p, this.#o.refuse(error));
            continue;
          }
          this.#count(1);
          settle.resolve(p, result[0] as R);
        }
      } else {
        // Nothing of this transaction is acknowledged. (If the connection broke during COMMIT,
        // the rows may exist although the writers were refused: never the other way round.)
        const refused = this.#o.refuse(failure);
        for (const p of batch) settle.reject(p, refused);
      }
    }
    this.#running = false;
    const idle = this.#idle;
    this.#idle = [];
    for (const f of idle) f();
    settle.done();
  }

  #count(writes: number): void {
    this.stats.commits += 1;
    this.stats.writes += writes;
    this.stats.maxBatch = Math.max(this.stats.maxBatch, writes);
  }
}
