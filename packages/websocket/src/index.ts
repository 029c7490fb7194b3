// @netkit/websocket: RFC 6455 WebSocket with permessage-deflate (RFC 7692) on netkit's framing layer.

export { type AcceptOptions, acceptWebSocket } from "./accept.ts";
export { acceptKey } from "./accept-key.ts";
// Client
export { type ClientOptions, connectWebSocket } from "./client.ts";
export { isValidCloseCode } from "./close-payload.ts";
// Wire numbers and limits
export { CloseCode, CODEC_DEFAULTS, FrameOpcode } from "./constants.ts";
export type { DeflateOptions, DeflateParams } from "./deflate-negotiation.ts";
// Errors
export { WebSocketError, type WebSocketErrorCode } from "./errors.ts";
// Compression
export { type CompressionOptions, PerMessageDeflate } from "./permessage-deflate.ts";
// Fan-out: frame once, coalesce writes per peer
export { WEBSOCKET_ROOM_DEFAULTS, WebSocketRoom, type WebSocketRoomOptions } from "./room.ts";
// Server handshake: judge the upgrade request, word the 101 or the refusal
export {
  negotiateUpgrade,
  type UpgradeDecision,
  type UpgradeOptions,
  type UpgradeRequestHead,
} from "./server-handshake.ts";
// Sessions: one peer after the handshake, over a framing Connection in bytes() mode
export {
  type ByteConnection,
  type CloseEvent,
  type MessageData,
  SESSION_DEFAULTS,
  type SessionLimits,
  type SessionOptions,
  WebSocketSession,
} from "./session.ts";
