// @netkit/store: what the netkit services share for their data (PostgreSQL, SQLite, Redis).

// Errors
export { StoreError, type StoreErrorCode } from "./errors.ts";
// Group commit
export {
  GroupCommit,
  type GroupCommitOptions,
  type GroupCommitStats,
  type PendingWrite,
} from "./group-commit.ts";
// Schema migrations
export { type Migration, newestVersion } from "./migration.ts";
// PostgreSQL
export { describeFailure, type OpenPostgresOptions, openPostgres } from "./open-postgres.ts";
export {
  migratePostgres,
  type PostgresMigrateOptions,
  postgresSchemaVersion,
} from "./postgres-migrations.ts";
// Logs
export { redactUrl } from "./redact-url.ts";
// Redis
export {
  REDIS_PAIR_DEFAULTS,
  type RedisClients,
  RedisPair,
  type RedisPairOptions,
} from "./redis-pair.ts";
export { type Settleable, Settler } from "./settler.ts";
// SQLite
export {
  migrateSqlite,
  type SqliteMigrateOptions,
  sqliteSchemaVersion,
} from "./sqlite-migrations.ts";
