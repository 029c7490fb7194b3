// openPostgres: a Bun.SQL pool that is known to work (the first query ran) before a service
// starts serving on it.

import { SQL } from "bun";

/** How to open the pool, and what to run on it first. */
export interface OpenPostgresOptions {
  /** Connections in the pool. @default 4 */
  maxConnections?: number;
  /** Seconds to wait for a new connection. @default Bun.SQL's own default */
  connectionTimeoutS?: number;
  /** The first work on the pool (usually migratePostgres): PostgreSQL is reachable once it resolves. */
  prepare(sql: SQL): Promise<unknown>;
}

/**
 * Opens a pool on `url` and runs `prepare` on it. If that fails (PostgreSQL unreachable, bad
 * credentials, a schema that is too new), the pool is closed and the original error is thrown,
 * for the service to wrap in its own error class; nothing is left open.
 */
export async function openPostgres(url: string, options: OpenPostgresOptions): Promise<SQL> {
  const sql = new SQL(url, {
    max: options.maxConnections ?? 4,
    ...(options.connectionTimeoutS === undefined
      ? {}
      : { connectionTimeout: options.connectionTimeoutS }),
  });
  try {
    await options.prepare(sql);
  } catch (error) {
    await sql.close().catch(() => {});
    throw error;
  }
  return sql;
}

/** `CODE message` of an engine error, for the message of a service's "storage unavailable" error. */
export function describeFailure(error: unknown): string {
  const e = error as { code?: string; message?: string } | null | undefined;
  return `${e?.code ?? ""} ${e?.message ?? String(error)}`.trim();
}
