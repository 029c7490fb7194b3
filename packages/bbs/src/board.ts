// Board: the service shared by every session — store, accounts, who is online, limits, log.

import type { Log } from "@netkit/framing";
import { Accounts, type AccountsOptions } from "./accounts.ts";
import { BBS_DEFAULTS } from "./defaults.ts";
import type { BbsStore } from "./store/store.ts";

export interface BoardOptions extends AccountsOptions {
  maxUsernameChars?: number;
  maxTextBytes?: number;
  /** Rows fetched from SQLite per page of a listing. @default 2000 */
  listPageRows?: number;
  log?: Log;
}

export class Board {
  readonly store: BbsStore;
  readonly accounts: Accounts;
  readonly log: Log;
  readonly maxUsernameChars: number;
  readonly maxTextBytes: number;
  readonly listPageRows: number;
  /** username -> number of sessions online under it. */
  readonly #online = new Map<string, number>();

  constructor(store: BbsStore, options: BoardOptions = {}) {
    this.store = store;
    this.accounts = new Accounts(store, options);
    this.log = options.log ?? (() => {});
    this.maxUsernameChars = options.maxUsernameChars ?? BBS_DEFAULTS.maxUsernameChars;
    this.maxTextBytes = options.maxTextBytes ?? BBS_DEFAULTS.maxTextBytes;
    this.listPageRows = options.listPageRows ?? 2000;
  }

  join(name: string): void {
    this.#online.set(name, (this.#online.get(name) ?? 0) + 1);
  }

  leave(name: string): void {
    const n = (this.#online.get(name) ?? 0) - 1;
    if (n > 0) this.#online.set(name, n);
    else this.#online.delete(name);
  }

  /** Names with at least one session, sorted. */
  online(): string[] {
    return [...this.#online.keys()].sort();
  }
}
