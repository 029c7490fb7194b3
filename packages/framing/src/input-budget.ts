// InputBudget: the bytes of partial input all connections of one server may hold together. Past the
// limit, the connections holding the most are closed first, so a server's memory under a flood of
// half-sent frames is bounded by its configuration, whatever the client count.
import { FramingError } from "./errors.ts";

/** What the budget needs of a connection. */
export interface BudgetHolder {
  /** Bytes this connection holds of incomplete input (and input held behind `hold()`). */
  readonly heldInputBytes: number;
  destroy(error?: Error): void;
}

export class InputBudget {
  readonly limit: number;
  #total = 0;
  readonly #holders = new Set<BudgetHolder>();

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 0) throw new RangeError("bad input budget");
    this.limit = limit;
  }

  /** Bytes held by all connections now. */
  get total(): number {
    return this.#total;
  }

  /**
   * A holder's held bytes went from `before` to `now`; sheds the biggest holders if over the
   * limit. The set of holders changes only when one starts or stops holding (not per message).
   */
  update(holder: BudgetHolder, before: number, now: number): void {
    this.#total += now - before;
    if (before === 0) this.#holders.add(holder);
    else if (now === 0) this.#holders.delete(holder);
    if (this.limit > 0 && this.#total > this.limit) this.#shed();
  }

  #shed(): void {
    // Rare (only under attack or misconfiguration): a sort of the holders is fine here.
    const biggest = [...this.#holders].sort((a, b) => b.heldInputBytes - a.heldInputBytes);
    for (const holder of biggest) {
      if (this.#total <= this.limit) return;
      holder.destroy(
        new FramingError(
          "INPUT_BUDGET",
          `server holds ${this.#total} bytes of partial input, budget ${this.limit}: closing the ` +
            `connection holding the most (${holder.heldInputBytes})`,
          holder.heldInputBytes,
          this.limit,
        ),
      );
    }
  }
}
