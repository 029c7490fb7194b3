// Accounts: argon2id password hashes (Bun.password) and throttling of failed logins.

import { BBS_DEFAULTS } from "./defaults.ts";
import type { BbsStorage } from "./store/types.ts";
import { passwordProblem } from "./validate.ts";

export interface ThrottleOptions {
  /** @default BBS_DEFAULTS.maxFailuresPerName */
  maxFailuresPerName?: number;
  /** @default BBS_DEFAULTS.maxFailuresPerAddress */
  maxFailuresPerAddress?: number;
  /** @default BBS_DEFAULTS.failureWindowMs */
  failureWindowMs?: number;
  now?: () => number;
}

/**
 * Counts failed logins per username and per remote address in a sliding window. Once either
 * count reaches its limit, attempts are refused (without checking the password) until the
 * oldest failure leaves the window. Pure logic with an injected clock.
 */
export class LoginThrottle {
  readonly #maxPerName: number;
  readonly #maxPerAddress: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #byName = new Map<string, number[]>();
  readonly #byAddress = new Map<string, number[]>();

  constructor(options: ThrottleOptions = {}) {
    this.#maxPerName = options.maxFailuresPerName ?? BBS_DEFAULTS.maxFailuresPerName;
    this.#maxPerAddress = options.maxFailuresPerAddress ?? BBS_DEFAULTS.maxFailuresPerAddress;
    this.#windowMs = options.failureWindowMs ?? BBS_DEFAULTS.failureWindowMs;
    this.#now = options.now ?? Date.now;
  }

  /** 0 if an attempt is allowed now, else the milliseconds to wait. */
  retryAfterMs(name: string, address: string): number {
    const now = this.#now();
    const wait = (map: Map<string, number[]>, key: string, max: number) => {
      const times = this.#recent(map, key, now);
      if (times.length < max) return 0;
      return (times[times.length - max] ?? now) + this.#windowMs - now;
    };
    return Math.max(
      wait(this.#byName, name, this.#maxPerName),
      wait(this.#byAddress, address, this.#maxPerAddress),
    );
  }

  recordFailure(name: string, address: string): void {
    const now = this.#now();
    for (const [map, key] of [
      [this.#byName, name],
      [this.#byAddress, address],
    ] as const) {
      const times = this.#recent(map, key, now);
      times.push(now);
      map.set(key, times);
    }
  }

  /** A successful login clears the name's failures (not the address's). */
  recordSuccess(name: string): void {
    this.#byName.delete(name);
  }

  #recent(map: Map<string, number[]>, key: string, now: number): number[] {
    const times = (map.get(key) ?? []).filter((t) => t > now - this.#windowMs);
    if (times.length === 0) map.delete(key);
    else map.set(key, times);
    return times;
  }
}

export interface AccountsOptions extends ThrottleOptions {
  minPasswordChars?: number;
  maxPasswordBytes?: number;
  /** argon2id memory in KiB. @default BBS_DEFAULTS.argon2MemoryKiB */
  argon2MemoryKiB?: number;
  /** @default BBS_DEFAULTS.argon2TimeCost */
  argon2TimeCost?: number;
}

export type AccountResult = { ok: true } | { ok: false; reason: string };

/** Registration and login over the store, with a cache of registered names for fast checks. */
export class Accounts {
  readonly throttle: LoginThrottle;
  readonly #store: BbsStorage;
  readonly #registered: Set<string>;
  /** Names with a registration in flight, so two sessions cannot both hash then race. */
  readonly #registering = new Set<string>();
  readonly #minChars: number;
  readonly #maxBytes: number;
  readonly #memoryCost: number;
  readonly #timeCost: number;

  /** Called with a name this instance registered (the cluster announces it to the others). */
  onRegistered: (name: string) => void = () => {};

  constructor(store: BbsStorage, options: AccountsOptions = {}) {
    this.#store = store;
    this.throttle = new LoginThrottle(options);
    // A local SQLite store answers at once; a shared store is loaded by reload() (the server awaits it).
    const names = store.accountNames();
    this.#registered = new Set(Array.isArray(names) ? names : []);
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
    return this.#registered.has(name);
  }

  /** Reloads every registered name from the store (at start, and after missed announcements). */
  async reload(): Promise<void> {
    for (const n of await this.#store.accountNames()) this.#registered.add(n);
  }

  /** A registration made elsewhere (announced by another instance). */
  markRegistered(name: string): void {
    this.#registered.add(name);
  }

  /** Checks one name against a shared store; undefined (nothing to wait for) with a local one. */
  refreshName(name: string): Promise<void> | undefined {
    if (this.#store.engine === "sqlite" || this.#registered.has(name)) return undefined;
    return Promise.resolve(this.#store.passwordHash(name)).then((hash) => {
      if (hash !== null) this.#registered.add(name);
    });
  }

  async register(name: string, password: string): Promise<AccountResult> {
    if (this.#registered.has(name) || this.#registering.has(name)) {
      return { ok: false, reason: "name already registered" };
    }
    const weak = passwordProblem(password, this.#minChars, this.#maxBytes);
    if (weak) return { ok: false, reason: weak };
    this.#registering.add(name);
    try {
      const hash = await Bun.password.hash(password, {
        algorithm: "argon2id",
        memoryCost: this.#memoryCost,
        timeCost: this.#timeCost,
      });
      if (!(await this.#store.addAccount(name, hash))) {
        this.#registered.add(name); // registered meanwhile, by another instance
        return { ok: false, reason: "name already registered" };
      }
      this.#registered.add(name);
      this.onRegistered(name);
      return { ok: true };
    } finally {
      this.#registering.delete(name);
    }
  }

  async login(name: string, password: string, address: string): Promise<AccountResult> {
    const waitMs = this.throttle.retryAfterMs(name, address);
    if (waitMs > 0) {
      return {
        ok: false,
        reason: `too many failed logins, retry in ${Math.ceil(waitMs / 1000)} s`,
      };
    }
    const hash = await this.#store.passwordHash(name);
    if (hash === null) return { ok: false, reason: "name not registered" };
    this.#registered.add(name);
    let good = false;
    try {
      good = await Bun.password.verify(password, hash);
    } catch {
      good = false;
    }
    if (!good) {
      this.throttle.recordFailure(name, address);
      return { ok: false, reason: "wrong password" };
    }
    this.throttle.recordSuccess(name);
    return { ok: true };
  }
}
