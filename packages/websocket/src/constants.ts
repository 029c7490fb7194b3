// Wire numbers of RFC 6455: opcodes (§5.2, §11.8) and close status codes (§7.4, §11.7).

/** Frame opcodes (RFC 6455 §5.2); the name differs from DNS's Opcode, a different number. */
export const FrameOpcode = {
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const;
/** One of the defined opcodes. */
export type FrameOpcode = (typeof FrameOpcode)[keyof typeof FrameOpcode];

/** Control frames have the opcode's high bit set (§5.5): close, ping, pong, and 0xB–0xF reserved. */
export const isControlOpcode = (opcode: number): boolean => (opcode & 0x8) !== 0;

/** Close status codes (§7.4.1) by name. */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  /** Reserved: never sent on the wire; reported when a close frame had no code. */
  NO_STATUS: 1005,
  /** Reserved: never sent on the wire; reported when the TCP connection ended without a close frame. */
  ABNORMAL: 1006,
  INVALID_PAYLOAD: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  MANDATORY_EXTENSION: 1010,
  INTERNAL_ERROR: 1011,
} as const;
/** One of the defined close codes. */
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** The GUID every server appends to the client's key before hashing (§1.3). */
export const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** Control frame payloads fit in the 7-bit length (§5.5). */
export const MAX_CONTROL_PAYLOAD = 125;

/**
 * Lengths past 2^53 − 1 cannot be counted exactly in a JavaScript number; no limit we accept comes
 * near it, so such a header is refused as too big before anything is buffered.
 */
export const MAX_SAFE_LENGTH = Number.MAX_SAFE_INTEGER;

/** The codec's limits when none are given. */
export const CODEC_DEFAULTS = {
  /** A whole message (after decompression): the 1 MiB. */
  maxMessageBytes: 1 << 20,
  /** One frame's payload; a message may not be larger anyway. */
  maxFrameBytes: 1 << 20,
  /**
   * Frames per fragmented message: a browser sends one frame per message, and proxies re-chunk
   * into a handful; 1024 still allows 1 KiB fragments of a 1 MiB message but stops an endless run
   * of empty continuation frames from holding a message open.
   */
  maxFragments: 1024,
};
