// @netkit/httpchat: an HTTP/1.1 server on framing's Connection with a Fetch-handler interface, and a web chat on it.

export { type Asset, loadPageAssets } from "./chat/assets.ts";
export { BUS_DEFAULTS, MessageBus, type MessageBusOptions } from "./chat/bus.ts";
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
export {
  type Migration,
  migratePostgres,
  migrateSqlite,
  POSTGRES_MIGRATIONS,
  SQLITE_MIGRATIONS,
} from "./chat/store/migrations.ts";
export {
  POSTGRES_STORE_DEFAULTS,
  PostgresMessageStore,
  type PostgresStoreOptions,
  redactUrl,
} from "./chat/store/postgres.ts";
export { MessageStore } from "./chat/store/sqlite.ts";
export type { ChatMessage, ChatStorage } from "./chat/store/types.ts";
export { HTTP_DEFAULTS } from "./http/defaults.ts";
export { HttpError, type HttpErrorCode } from "./http/errors.ts";
export {
  type ParserHandlers,
  type ParserLimits,
  type ParserPhase,
  type RequestBodyFraming,
  type RequestHead,
  RequestParser,
} from "./http/request-parser.ts";
export {
  type ClientInfo,
  type FetchHandler,
  type HttpServer,
  type ServeOptions,
  serve,
} from "./http/server.ts";
