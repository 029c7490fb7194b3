// @netkit/bbs: the seed's bulletin board (BBS Server 1.2) as a durable, event-driven service.

// Accounts
export {
  type AccountResult,
  type AccountStats,
  Accounts,
  type AccountsOptions,
} from "./accounts.ts";
// Service
export { Board, type BoardOptions, type BoardPresence } from "./board.ts";
// Client
export { BbsClient, type BbsClientOptions, type ListedMessage } from "./client.ts";
// Several instances (Redis)
export { BbsCluster, CLUSTER_DEFAULTS, type ClusterOptions } from "./cluster.ts";
// Defaults and limits
export { BANNER, BBS_DEFAULTS, type SynchronousMode } from "./defaults.ts";
export { encodeFrameChunks } from "./encode.ts";
// Errors
export { BbsError, type BbsErrorCode } from "./errors.ts";
export {
  CLIENT_DEFAULTS,
  CLIENT_HELP,
  type ClientRunOptions,
  defaultClientStatePath,
  parseTarget,
  runBbsClient,
} from "./interactive.ts";
// Transport
export { type BbsServer, type BbsServerOptions, startBbsServer } from "./server.ts";
// Protocol state machine
export {
  COMMANDS,
  type Later,
  type Listing,
  type Reply,
  Session,
  STORAGE_UNAVAILABLE,
} from "./session.ts";
// Storage
// (applied with @netkit/store's migrateSqlite / migratePostgres)
export { MIGRATIONS, SCHEMA_VERSION } from "./store/migrations.ts";
export { PgStore, type PgStoreOptions } from "./store/postgres.ts";
export {
  PG_MIGRATE_OPTIONS,
  PG_MIGRATIONS,
  PG_SCHEMA_VERSION,
} from "./store/postgres-migrations.ts";
export { BbsStore, type StoreOptions } from "./store/store.ts";
export type {
  Awaitable,
  BbsStorage,
  DirectMessage,
  LoginLimits,
  LoginReservation,
  Post,
  StoreStats,
} from "./store/types.ts";
// Failed-login throttle
export { addressKey, type LoginLedger, LoginThrottle, type ThrottleOptions } from "./throttle.ts";
// Validation
export { passwordProblem, textProblem, usernameProblem } from "./validate.ts";
