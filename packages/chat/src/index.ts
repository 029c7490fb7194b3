// @netkit/chat: the chat room (service), its line-protocol server and client, and the echo server.

// Client
export {
  CHAT_CLIENT_DEFAULTS,
  type ChatClientOptions,
  parseChatTarget,
  runChatClient,
} from "./client.ts";
export {
  ECHO_DEFAULTS,
  type EchoServer,
  type EchoServerOptions,
  startEchoServer,
} from "./echo.ts";
// Errors
export { ChatError, type ChatErrorCode } from "./errors.ts";
// Several instances as one room, through Redis
export { REDIS_DEFAULTS, type RedisLinkOptions, RedisRoomLink } from "./redis.ts";
// The room on its own (a service that sees only lines and callbacks)
export {
  type HistoryEntry,
  type Member,
  ROOM_DEFAULTS,
  Room,
  type RoomEvent,
  type RoomOptions,
} from "./room.ts";
// Servers
export {
  CHAT_DEFAULTS,
  type ChatServer,
  type ChatServerOptions,
  startChatServer,
} from "./server.ts";
