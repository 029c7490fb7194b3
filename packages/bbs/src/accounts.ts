// Accounts: argon2id password hashes (Bun.password), registration races, throttled logins.

import { nameKey } from "@netkit/framing";
import { BBS_DEFAULTS } from "./defaults.ts";
import type { BbsStorage } from "./store/types.ts";
import { LoginThrottle, type ThrottleOptions } from "./throttle.ts";
import { passwordProblem } from "./validate.ts";

/** Options of `Accounts` (the failed-login throttle's among them). */
export interface AccountsOptions extends ThrottleOptions {
  minPasswordChars?: number;
  maxPasswordBytes?: number;
  /** argon2id memory in KiB. @default BBS_DEFAULTS.argon2MemoryKiB */
  argon2MemoryKiB?: number;
  /** @default BBS_DEFAULTS.argon2TimeCost */
  argon2TimeCost?: number;
}

/** What registering or logging in came to: ok, or the reason it was refused. */
export type AccountResult = { ok: true } | { ok: false; reason: string };

/** Counters for stats and tests. */
export interface AccountStats {
  /** Passwords checked against a stored hash (each an argon2id verification). */
  passwordsVerified: number;
  /** Login attempts refused by the throttle, without checking the password. */
  loginsThrottled: number;
}

/**
 * Registration and login over the store, with a cache of registered names for fast checks.
 * Names are compared by framing's `nameKey` (NFKC + case fold): `Admin`, `ADMIN` and fullwidth
 * `ａｄｍｉｎ` are one account, so a look-alike can neither register nor act as a guest beside it.
 */
export class Accounts {
  readonly throttle: LoginThrottle;
  readonly stats: AccountStats = { passwordsVerified: 0, loginsThrottled: 0 };
  readonly #store: BbsStorage;
  /** Keys (nameKey) of the registered names. */
  readonly #registered: Set<string>;
  /** Keys with a registration in flight, so two sessions cannot both hash then race. */
  readonly #registering = new Set<string>();
  readonly #minChars: number;
  readonly #maxBytes: number;
  readonly #memoryCost: number;
  readonly #timeCost: number;

  /** Called with a name this instance registered (the cluster announces it to the others). */
  onRegistered: (name: string) => void = () => {};

  constructor(store: BbsStorage, options: AccountsOptions = {}) {
    this.#store = store;
    this.throttle = new LoginThrottle(store, options);
    // A local SQLite store answers at once; a shared store is loaded by reload() (the server awaits it).
    const names = store.accountNames();
    this.#registered = new Set(Array.isArray(names) ? names.map(nameKey) : []);
    if (!Array.isArray(names)) names.catch(() => {});
    this.#minChars = options.minPasswordChars ?? BBS_DEFAULTS.minPasswordChars;
    this.#maxBytes = options.maxPasswordBytes ?? BBS_DEFAULTS.maxPasswordBytes;
    this.#memoryCost = options.argon2MemoryKiB ?? BBS_DEFAULTS.argon2MemoryKiB;
    this.#timeCost = options.argon2TimeCost ?? BBS_DEFAULTS.argon2TimeCost;
  }

  /**
   * Whether `name` is registered, from a cache. With a shared database (PostgreSQL) another
   * instance can register a name at any time: the cache is refreshed when a session picks a name
   * (refreshName), when a registration is announced (markRegistered) and on reload(). Names are
   * never unregistered, so the cache is never wrong in the other direction.
   */
  isRegistered(name: string): boolean {
    return this.#registered.has(nameKey(name));
  }

  /** isRegistered for a key the caller computed once (a session checks it on every post). */
  isRegisteredKey(key: string): boolean {
    return this.#registered.has(key);
  }

  /** Reloads every registered name from the store (at start, and after missed announcements). */
  async reload(): Promise<void> {
    for (const n of await this.#store.accountNames()) this.#registered.add(nameKey(n));
  }

  /** A registration made elsewhere (announced by another instance). */
  markRegistered(name: string): void {
    this.#registered.add(nameKey(name));
  }

  /** Checks one name against a shared store; undefined (nothing to wait for) with a local one. */
  refreshName(name: string): Promise<void> | undefined {
    const key = nameKey(name);
    if (this.#store.engine === "sqlite" || this.#registered.has(key)) return undefined;
    return Promise.resolve(this.#store.passwordHash(name)).then((hash) => {
      if (hash !== null) this.#registered.add(key);
    });
  }

  async register(name: string, password: string): Promise<AccountResult> {
    const key = nameKey(name);
    if (this.#registered.has(key) || this.#registering.has(key)) {
      return { ok: false, reason: "name already registered" };
    }
    const weak = passwordProblem(password, this.#minChars, this.#maxBytes);
    if (weak) return { ok: false, reason: weak };
    this.#registering.add(key);
    try {
      const hash = await Bun.password.hash(password, {
        algorithm: "argon2id",
        memoryCost: this.#memoryCost,
        timeCost: this.#timeCost,
      });
      if (!(await this.#store.addAccount(name, hash))) {
        this.#registered.add(key); // registered meanwhile, by another instance
        return { ok: false, reason: "name already registered" };
      }
      this.#registered.add(key);
      this.onRegistered(name);
      return { ok: true };
    } finally {
      this.#registering.delete(key);
    }
  }

  /**
   * The attempt is reserved with the throttle before the password is checked (see throttle.ts);
   * a login to an unregistered name checks nothing and is not counted.
   */
  async login(name: string, password: string, address: string): Promise<AccountResult> {
    const hash = await this.#store.passwordHash(name);
    if (hash === null) return { ok: false, reason: "name not registered" };
    // Throttled by key: `Admin`, `ADMIN`, `ａｄｍｉｎ` share one budget of attempts.
    const key = nameKey(name);
    this.#registered.add(key);
    const attempt = await this.throttle.begin(key, address);
    if (attempt.attemptId === 0) {
      this.stats.loginsThrottled += 1;
      return {
        ok: false,
        reason: `too many failed logins, retry in ${Math.ceil(attempt.retryAfterMs / 1000)} s`,
      };
    }
    this.stats.passwordsVerified += 1;
    let good = false;
    try {
      good = await Bun.password.verify(password, hash);
    } catch {
      good = false;
    }
    // A wrong password leaves the reservation in the store: that is the recorded failure.
    if (!good) return { ok: false, reason: "wrong password" };
    await this.throttle.succeeded(attempt, key);
    return { ok: true };
  }
}
