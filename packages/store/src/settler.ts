// Settler: settles every writer of a committed batch even if one writer's callback throws.

/** A writer waiting for its commit: the callbacks of a promise, or of a reused object. */
export interface Settleable<R> {
  resolve(result: R): void;
  reject(error: Error): void;
}

/**
 * Settles the writers of a batch after its commit. Callbacks may run their caller's next step at
 * once (a session's next command), so one that throws must not leave the rest of the batch
 * waiting: every writer is settled, then done() throws the first error.
 */
export class Settler {
  #error: unknown;
  #failed = false;

  /** Resolves one writer; an exception from its callback is kept for done(). */
  resolve<R>(p: Settleable<R>, result: R): void {
    try {
      p.resolve(result);
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Rejects one writer; an exception from its callback is kept for done(). */
  reject(p: Settleable<never>, reason: Error): void {
    try {
      p.reject(reason);
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Throws the first exception a callback raised, once every writer has been settled. */
  done(): void {
    if (this.#failed) throw this.#error;
  }

  #fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#error = error;
  }
}
