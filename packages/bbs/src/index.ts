// @netkit/bbs: the seed's bulletin board (BBS Server 1.2) as a durable, event-driven service.

// Accounts
export {
  type AccountResult,
  Accounts,
  type AccountsOptions,
  LoginThrottle,
  type ThrottleOptions,
} from "./accounts.ts";
// Service
export { Board, type BoardOptions } from "./board.ts";
// Client
export { BbsClient, type BbsClientOptions, type ListedMessage } from "./client.ts";
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
export { COMMANDS, type Listing, type Reply, Session } from "./session.ts";
// Storage
export {
  MIGRATIONS,
  type Migration,
  migrate,
  SCHEMA_VERSION,
  schemaVersion,
} from "./store/migrations.ts";
export {
  BbsStore,
  type DirectMessage,
  type Post,
  type StoreOptions,
  type StoreStats,
} from "./store/store.ts";
// Validation
export { passwordProblem, textProblem, usernameProblem } from "./validate.ts";
