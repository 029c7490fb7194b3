// Board: the service shared by every session — store, accounts, who is online, limits, log.

import type { Log } from "@netkit/framing";
import { Accounts, type AccountsOptions } from "./accounts.ts";
import { BBS_DEFAULTS } from "./defaults.ts";
import type { Awaitable, BbsStorage } from "./store/types.ts";

/** What a board needs from a cluster link (cluster.ts): presence of other instances. */
export interface BoardPresence {
  /** Names online on the other live instances. */
  remoteNames(): Awaitable<string[]>;
  /** The local online list changed (publish it soon). */
  changed(): void;
}

/** Options of `new Board()`. */
export interface BoardOptions extends AccountsOptions {
  maxUsernameChars?: number;
  maxTextBytes?: number;
  /** Rows fetched from SQLite per page of a listing. @default 2000 */
  listPageRows?: number;
  log?: Log;
}

/** The board as a service shared by every session: store, accounts, who is online, limits, log; no sockets. */
export class Board {
  readonly store: BbsStorage;
  /** Set when the board is one of several instances (--redis). */
  presence: BoardPresence | null = null;
  readonly accounts: Accounts;
  readonly log: Log;
  readonly maxUsernameChars: number;
  readonly maxTextBytes: number;
  readonly listPageRows: number;
  /** username -> number of sessions online under it. */
  readonly #online = new Map<string, number>();

  constructor(store: BbsStorage, options: BoardOptions = {}) {
    this.store = store;
    this.accounts = new Accounts(store, options);
    this.log = options.log ?? (() => {});
    this.maxUsernameChars = options.maxUsernameChars ?? BBS_DEFAULTS.maxUsernameChars;
    this.maxTextBytes = options.maxTextBytes ?? BBS_DEFAULTS.maxTextBytes;
    this.listPageRows = options.listPageRows ?? 2000;
  }

  join(name: string): void {
    const n = this.#online.get(name) ?? 0;
    this.#online.set(name, n + 1);
    if (n === 0) this.presence?.changed();
  }

  leave(name: string): void {
    const n = (this.#online.get(name) ?? 0) - 1;
    if (n > 0) this.#online.set(name, n);
    else {
      this.#online.delete(name);
      this.presence?.changed();
    }
  }

  /** Names online here and on every other live instance, each once, sorted. */
  async who(): Promise<string[]> {
    if (!this.presence) return this.online();
    const all = new Set(this.#online.keys());
    for (const n of await this.presence.remoteNames()) all.add(n);
    return [...all].sort();
  }

  /** Names with at least one session on this instance, sorted. */
  online(): string[] {
    return [...this.#online.keys()].sort();
  }
}
