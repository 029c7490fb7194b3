// @netkit/framing/codec: the pure framing codecs (no sockets, no timers, nothing from Bun), for any
// runtime: length-prefixed frames (u32 or u16 big-endian), lines, UTF-8 helpers, the text
// policy, limits, errors.
export {
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_LINE_BYTES,
  FRAME_PREFIX_BYTES,
  MAX_ENCODABLE_FRAME_BYTES,
} from "./constants.ts";
export { FramingError, type FramingErrorCode } from "./errors.ts";
export {
  encodeFrame,
  encodeFrame16,
  FrameDecoder,
  type FrameDecoderOptions,
  type PrefixBytes,
} from "./length-prefixed.ts";
export { encodeLine, LineDecoder, type LineDecoderOptions } from "./lines.ts";
// The text policy every service applies to names and texts (pure as well)
export {
  decodeUtf8,
  invalidUtf8Offset,
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
export { decodeText, encodeText } from "./utf8.ts";
