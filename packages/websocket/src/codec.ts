// @netkit/websocket/codec: the pure layer (no I/O, no timers, nothing from Bun or Node), for any runtime.
export { acceptKey, createKey } from "./accept-key.ts";
export { decodeBase64, encodeBase64 } from "./base64.ts";
export {
  checkUpgradeResponse,
  encodeUpgradeRequest,
  type UpgradeAgreement,
  type UpgradeRequestOptions,
} from "./client-handshake.ts";
export {
  type ClosePayload,
  decodeClosePayload,
  encodeClosePayload,
  isValidCloseCode,
} from "./close-payload.ts";
export {
  CloseCode,
  CODEC_DEFAULTS,
  FrameOpcode,
  isControlOpcode,
  MAX_CONTROL_PAYLOAD,
  WEBSOCKET_GUID,
} from "./constants.ts";
export { type DecoderOptions, type Incoming, type Inflate, WebSocketDecoder } from "./decoder.ts";
export {
  acceptDeflateOffer,
  type DeflateOptions,
  type DeflateParams,
  deflateOffer,
  PERMESSAGE_DEFLATE,
  readDeflateResponse,
} from "./deflate-negotiation.ts";
export { WebSocketError, type WebSocketErrorCode } from "./errors.ts";
export { type ExtensionOffer, formatExtension, parseExtensions } from "./extension-header.ts";
export {
  encodeFrame,
  type FrameOptions,
  frameHeaderLength,
  writeFrameHeader,
} from "./frame-encoder.ts";
export { type HeaderList, headerList, headerValues } from "./headers.ts";
export { applyMask } from "./masking.ts";
export { MAX_RESPONSE_HEAD_BYTES, type ResponseHead, ResponseHeadReader } from "./response-head.ts";
export {
  negotiateUpgrade,
  type UpgradeDecision,
  type UpgradeOptions,
  type UpgradeRequestHead,
} from "./server-handshake.ts";
export { sha1 } from "./sha1.ts";
export { isValidUtf8, Utf8Validator } from "./utf8-validator.ts";
