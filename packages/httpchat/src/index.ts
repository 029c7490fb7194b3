// @netkit/httpchat: an HTTP/1.1 server on Bun.listen with a Fetch-handler interface, and a web chat on it.

export { type Asset, loadPageAssets } from "./chat/assets.ts";
export { CHAT_LIMITS, type ChatApp, createChatApp } from "./chat/routes/app.ts";
export {
  type ChatServer,
  type ChatServerOptions,
  HTTPCHAT_DEFAULTS,
  startChatServer,
} from "./chat/start.ts";
export { type ChatMessage, MessageStore } from "./chat/store.ts";
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
export { type FetchHandler, type HttpServer, type ServeOptions, serve } from "./http/server.ts";
