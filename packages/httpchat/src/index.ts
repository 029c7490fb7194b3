// @netkit/httpchat: the web chat (page, routes, SQLite/PostgreSQL stores, Redis bus) on @netkit/http.

export { type Asset, loadPageAssets } from "./chat/assets.ts";
export { BUS_DEFAULTS, MessageBus, type MessageBusOptions } from "./chat/bus.ts";
export { WebChatError, type WebChatErrorCode } from "./chat/errors.ts";
export {
  CHAT_LIMITS,
  type ChatApp,
  type ChatAppOptions,
  createChatApp,
} from "./chat/routes/app.ts";
export {
  type ChatServer,
  type ChatServerOptions,
  HTTPCHAT_DEFAULTS,
  type OpenChatServerOptions,
  openChatServer,
  startChatServer,
} from "./chat/start.ts";
// (applied with @netkit/store's migrateSqlite / migratePostgres)
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
export type { ChatMessage, ChatStorage } from "./chat/store/types.ts";
