// @netkit/bbs: the seed's bulletin board (BBS Server 1.2) as a durable, event-driven service.

export {
  type AccountResult,
  type AccountStats,
  Accounts,
  type AccountsOptions,
} from "./accounts.ts";
// The board as a service (no sockets), and its accounts
export { Board, type BoardOptions, type BoardPresence } from "./board.ts";
// Clients: the library client, and the interactive one of `bbs connect`
export { BbsClient, type BbsClientOptions, type ListedMessage } from "./client.ts";
// Several instances, through Redis
export { BbsCluster, CLUSTER_DEFAULTS, type ClusterOptions } from "./cluster.ts";
// Server
export { BBS_DEFAULTS, type SynchronousMode } from "./defaults.ts";
// Errors
export { BbsError, type BbsErrorCode } from "./errors.ts";
export {
  BBS_CLIENT_DEFAULTS,
  defaultClientStatePath,
  type RunBbsClientOptions,
  runBbsClient,
} from "./interactive.ts";
export { type BbsServer, type BbsServerOptions, startBbsServer } from "./server.ts";
// Schema (applied with @netkit/store's migrateSqlite / migratePostgres)
export { MIGRATIONS, SCHEMA_VERSION } from "./store/migrations.ts";
export { PgStore, type PgStoreOptions } from "./store/postgres.ts";
export {
  PG_MIGRATE_OPTIONS,
  PG_MIGRATIONS,
  PG_SCHEMA_VERSION,
} from "./store/postgres-migrations.ts";
// Storage: SQLite (embedded) or PostgreSQL (shared), both behind BbsStorage
export { BbsStore, type BbsStoreOptions } from "./store/store.ts";
export type {
  BbsStorage,
  DirectMessage,
  LoginLimits,
  LoginReservation,
  Post,
  StoreStats,
} from "./store/types.ts";
export type { ThrottleOptions } from "./throttle.ts";
