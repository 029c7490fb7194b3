// Login attempts in SQLite: the durable ledger behind the failed-login throttle (throttle.ts).
// Written directly, not through the group commit: the check and the insert must be one
// transaction before the password is checked, and the caller is waiting on it anyway.

import type { Database } from "bun:sqlite";
import type { LoginLimits, LoginReservation } from "./types.ts";

export class SqliteLogins {
  readonly reserve: (
    username: string,
    address: string,
    limits: LoginLimits,
    nowMs: number,
  ) => LoginReservation;
  readonly succeeded: (attemptId: number, username: string) => void;

  constructor(db: Database) {
    const prune = db.query<unknown, [number]>("DELETE FROM login_attempts WHERE at_ms <= ?1");
    // The attempt whose expiry lets the next one in: the max-th newest within the window.
    const nthByName = db.query<{ t: number }, [string, number, number]>(
      "SELECT at_ms AS t FROM login_attempts WHERE username = ?1 AND at_ms > ?2 ORDER BY at_ms DESC LIMIT 1 OFFSET ?3",
    );
    const nthByAddress = db.query<{ t: number }, [string, number, number]>(
      "SELECT at_ms AS t FROM login_attempts WHERE address = ?1 AND at_ms > ?2 ORDER BY at_ms DESC LIMIT 1 OFFSET ?3",
    );
    const insert = db.query<unknown, [string, string, number]>(
      "INSERT INTO login_attempts (username, address, at_ms) VALUES (?1, ?2, ?3)",
    );
    const remove = db.query<unknown, [number]>("DELETE FROM login_attempts WHERE id = ?1");
    const forgive = db.query<unknown, [string]>(
      "UPDATE login_attempts SET username = NULL WHERE username = ?1",
    );
    // bun:sqlite runs one statement at a time in this thread: the transaction makes the check and
    // the insert atomic for other processes on the file too.
    this.reserve = db.transaction(
      (username: string, address: string, limits: LoginLimits, nowMs: number) => {
        const cutoff = nowMs - limits.windowMs;
        prune.run(cutoff);
        const byName = nthByName.get(username, cutoff, limits.maxPerName - 1);
        const byAddress = nthByAddress.get(address, cutoff, limits.maxPerAddress - 1);
        const wait = refusal(byName?.t, byAddress?.t, limits.windowMs, nowMs);
        if (wait) return wait;
        const id = Number(insert.run(username, address, nowMs).lastInsertRowid);
        return { attemptId: id, retryAfterMs: 0 };
      },
    );
    this.succeeded = db.transaction((attemptId: number, username: string) => {
      remove.run(attemptId);
      forgive.run(username);
    });
  }
}

/**
 * The refusal when either limit is reached (`nameAt`/`addressAt`: the max-th newest attempt in
 * the window, if there are that many), else null. Shared with the PostgreSQL ledger.
 */
export function refusal(
  nameAt: number | undefined,
  addressAt: number | undefined,
  windowMs: number,
  nowMs: number,
): LoginReservation | null {
  const times = [nameAt, addressAt].filter((t): t is number => t !== undefined);
  if (times.length === 0) return null;
  return { attemptId: 0, retryAfterMs: Math.max(...times) + windowMs - nowMs };
}
