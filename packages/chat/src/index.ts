// @netkit/chat: the chat room (service), its line-protocol server and client, and the echo server.

export {
  type ChatClientOptions,
  CLIENT_DEFAULTS,
  parseTarget,
  runChatClient,
} from "./client.ts";
// Output coalescing (used by the server)
export { type ByteSink, Coalescer, Outbox } from "./coalesce.ts";
export { ECHO_DEFAULTS, type EchoServer, type EchoServerOptions, serveEcho } from "./echo.ts";
// Errors
export { ChatError, type ChatErrorCode } from "./errors.ts";
// Service: room, names, flood limit, one client's session
export { checkName, MAX_NAME_CHARS, nameKey } from "./names.ts";
// Several instances as one room, through Redis
export { REDIS_DEFAULTS, type RedisLinkOptions, RedisRoomLink } from "./redis.ts";
export {
  type HistoryEntry,
  type Member,
  ROOM_DEFAULTS,
  Room,
  type RoomEvent,
  type RoomOptions,
} from "./room.ts";
// Transports
export { CHAT_DEFAULTS, type ChatServer, type ChatServerOptions, serveChat } from "./server.ts";
export {
  ASK_NAME,
  ChatSession,
  GREETING,
  HELP_LINES,
  type RoomCluster,
  SESSION_DEFAULTS,
  type SessionOptions,
} from "./session.ts";
