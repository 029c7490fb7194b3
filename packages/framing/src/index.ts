// @netkit/framing: message framing over byte streams, and a connection helper over Bun sockets.

// Connection helper: listen (servers), connect (clients), one Connection per peer
export { type ConnectOptions, connect } from "./connect.ts";
export {
  CONNECTION_DEFAULTS,
  Connection,
  type ConnectionOptions,
  type ConnectionStats,
} from "./connection.ts";
// Limits and wire constants
export {
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_LINE_BYTES,
  DEFAULT_MAX_QUEUED_BYTES,
  FRAME_PREFIX_BYTES,
  MAX_ENCODABLE_FRAME_BYTES,
} from "./constants.ts";
// Errors
export { FramingError, type FramingErrorCode } from "./errors.ts";
// Length-prefixed frames
export {
  encodeFrame,
  encodeFrame16,
  FrameDecoder,
  type FrameDecoderOptions,
  type PrefixBytes,
} from "./length-prefixed.ts";
// Lines
export { encodeLine, LineDecoder, type LineDecoderOptions } from "./lines.ts";
// Listening
export {
  LISTEN_DEFAULTS,
  type Listener,
  type ListenOptions,
  listen,
  type Refusal,
} from "./listen.ts";
// Logging
export { LOG_LEVELS, type Log, type LogEvent, type LogLevel, silentLog } from "./log.ts";
// Protocols for the connection helper
export {
  bytes,
  type DecoderContext,
  frames,
  type LinesProtocolOptions,
  lines,
  type MessageDecoder,
  type Protocol,
} from "./protocol.ts";
// Rate limits (per peer, per address)
export { type RateDecision, RateLimiter, TokenBucket } from "./rate-limit.ts";
// Output coalescing for fan-outs: when held output leaves, and one join for peers holding the same
export { RELEASE_GROUPS, ReleaseSchedule, SharedJoin } from "./release-schedule.ts";
// Text policy: what untrusted names and texts may hold, how names compare
export {
  decodeUtf8,
  type NameRules,
  nameKey,
  nameProblem,
  showRefused,
  type TextProblem,
  type TextProblemCode,
  type TextRules,
  textProblem,
  utf8Problem,
} from "./text-policy.ts";
// TLS
export {
  type ConnectTlsOptions,
  checkTlsCredentials,
  type ListenTlsOptions,
  loadTlsCredentials,
  type TlsCredentials,
  TlsError,
} from "./tls.ts";
// UTF-8
export { decodeText, encodeText } from "./utf8.ts";
