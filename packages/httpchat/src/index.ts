// @netkit/httpchat: the web chat (page, routes, SQLite/PostgreSQL stores, Redis bus) on @netkit/http.

// Several instances, through Redis
export { BUS_DEFAULTS, MessageBus, type MessageBusOptions } from "./chat/bus.ts";
// Errors
export { WebChatError, type WebChatErrorCode } from "./chat/errors.ts";
// The routes as a Fetch handler, for any HTTP server
export {
  CHAT_LIMITS,
  type ChatApp,
  type ChatAppOptions,
  createChatApp,
} from "./chat/routes/app.ts";
// Server
export {
  HTTPCHAT_DEFAULTS,
  startWebChatServer,
  type WebChatServer,
  type WebChatServerOptions,
} from "./chat/start.ts";
// Schema (applied with @netkit/store's migrateSqlite / migratePostgres)
export {
  POSTGRES_MIGRATE_OPTIONS,
  POSTGRES_MIGRATIONS,
  SQLITE_MIGRATIONS,
} from "./chat/store/migrations.ts";
export {
  POSTGRES_STORE_DEFAULTS,
  PostgresMessageStore,
  type PostgresStoreOptions,
} from "./chat/store/postgres.ts";
export { MessageStore } from "./chat/store/sqlite.ts";
// Storage
export type { ChatMessage, ChatStorage } from "./chat/store/types.ts";
