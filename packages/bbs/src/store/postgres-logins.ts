// Login attempts in PostgreSQL: the failed-login ledger shared by every instance on the database,
// so a lockout made through one instance holds on the others (see throttle.ts).

import type { SQL } from "bun";
import { refusal } from "./logins.ts";
import { PG_LOCK_LOGIN } from "./postgres-migrations.ts";
import type { LoginLimits, LoginReservation } from "./types.ts";

/**
 * Checks the limits and records the attempt in one transaction. Under READ COMMITTED two
 * instances could both count n - 1 and both insert, so the check-then-insert runs under one
 * advisory lock (held for three short statements; logins are rare next to posts).
 */
export async function reservePgLogin(
  sql: SQL,
  username: string,
  address: string,
  limits: LoginLimits,
  nowMs: number,
): Promise<LoginReservation> {
  const cutoff = nowMs - limits.windowMs;
  return await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${PG_LOCK_LOGIN})`;
    const [row] = await tx`SELECT
      (SELECT at_ms FROM login_attempts WHERE username = ${username} AND at_ms > ${cutoff}
        ORDER BY at_ms DESC LIMIT 1 OFFSET ${limits.maxPerName - 1}) AS by_name,
      (SELECT at_ms FROM login_attempts WHERE address = ${address} AND at_ms > ${cutoff}
        ORDER BY at_ms DESC LIMIT 1 OFFSET ${limits.maxPerAddress - 1}) AS by_address`;
    const wait = refusal(optional(row?.by_name), optional(row?.by_address), limits.windowMs, nowMs);
    if (wait) return wait;
    const [added] = await tx`WITH pruned AS (DELETE FROM login_attempts WHERE at_ms <= ${cutoff})
      INSERT INTO login_attempts (username, address, at_ms)
      VALUES (${username}, ${address}, ${nowMs}) RETURNING id`;
    return { attemptId: Number(added?.id), retryAfterMs: 0 };
  });
}

/** Drops the attempt's record and forgives the name's earlier failures (not the address's). */
export async function pgLoginSucceeded(
  sql: SQL,
  attemptId: number,
  username: string,
): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`DELETE FROM login_attempts WHERE id = ${attemptId}`;
    await tx`UPDATE login_attempts SET username = NULL WHERE username = ${username}`;
  });
}

/** BIGINT columns arrive as strings; NULL (no such attempt) as null. */
function optional(value: unknown): number | undefined {
  return value === null || value === undefined ? undefined : Number(value);
}
