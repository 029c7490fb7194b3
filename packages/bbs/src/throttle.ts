// The failed-login throttle: limits per username and per source address in a sliding window,
// kept in the store so that a restart or another instance on the same database does not reset it.

import { BBS_DEFAULTS } from "./defaults.ts";
import type { Awaitable, BbsStorage, LoginLimits, LoginReservation } from "./store/types.ts";

/** Limits of the failed-login throttle (per username, per source address). */
export interface ThrottleOptions {
  /** Login attempts per username per window that may check a password. @default 5 */
  maxFailuresPerName?: number;
  /** The same per source address (IPv6: per /64), across names. @default 20 */
  maxFailuresPerAddress?: number;
  /** @default 15 min */
  failureWindowMs?: number;
  /** Clock (tests). @default Date.now */
  now?: () => number;
}

/** What the throttle needs from a store. */
export type LoginLedger = Pick<BbsStorage, "reserveLogin" | "loginSucceeded">;

/**
 * An attempt is reserved in the store *before* its password is checked and counts as a failure
 * from then on; only a right password takes it back. So attempts in flight count (1,000 parallel
 * guesses check at most maxFailuresPerName passwords), and a crash mid-check leaves it counted.
 * Once a name or an address holds its limit of attempts in the window, further attempts are
 * refused without checking the password, until the oldest of them leaves the window.
 */
export class LoginThrottle {
  readonly limits: LoginLimits;
  readonly #ledger: LoginLedger;
  readonly #now: () => number;

  constructor(ledger: LoginLedger, options: ThrottleOptions = {}) {
    this.#ledger = ledger;
    const d = BBS_DEFAULTS;
    this.limits = {
      maxPerName: positive(
        "maxFailuresPerName",
        options.maxFailuresPerName ?? d.maxFailuresPerName,
      ),
      maxPerAddress: positive(
        "maxFailuresPerAddress",
        options.maxFailuresPerAddress ?? d.maxFailuresPerAddress,
      ),
      windowMs: positive("failureWindowMs", options.failureWindowMs ?? d.failureWindowMs),
    };
    this.#now = options.now ?? Date.now;
  }

  /** Reserves an attempt; `attemptId` 0 means refused for `retryAfterMs`. */
  begin(name: string, address: string): Awaitable<LoginReservation> {
    return this.#ledger.reserveLogin(name, addressKey(address), this.limits, this.#now());
  }

  /** The attempt's password was right: it was no failure, and the name's failures are forgiven. */
  succeeded(reservation: LoginReservation, name: string): Awaitable<void> {
    return this.#ledger.loginSucceeded(reservation.attemptId, name);
  }
}

function positive(option: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${option} must be a positive integer`);
  }
  return value;
}

/**
 * The key failures of an address are counted under. IPv4 (also IPv4-mapped IPv6): the address.
 * IPv6: its /64, the smallest block a subscriber is normally given; one host can rotate through
 * 2^64 addresses in it, so counting per address would not limit anything.
 */
export function addressKey(address: string): string {
  const plain = address.replace(/%.*$/, "").toLowerCase(); // drop an IPv6 zone id
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(plain);
  if (mapped) return mapped[1] as string;
  if (!plain.includes(":")) return plain;
  const [head = "", tail] = plain.split("::");
  const groups = (part: string) =>
    part === "" ? [] : part.split(":").flatMap((g) => (g.includes(".") ? ["0", "0"] : [g]));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  const prefix = all.slice(0, 4).map((g) => Number.parseInt(g, 16).toString(16));
  return `${prefix.join(":")}::/64`;
}
