// FramingError: the one error class of @netkit/framing; match on `code`, not on the message.

/** The codes a FramingError carries. */
export type FramingErrorCode =
  /** A length prefix announced a payload over the decoder's `maxFrameBytes`. */
  | "FRAME_TOO_LARGE"
  /** A line grew past the decoder's `maxLineBytes` before its LF arrived. */
  | "LINE_TOO_LONG"
  /** A line was not valid UTF-8 (with the lines protocol's `invalidUtf8: "drop"`); it was dropped. */
  | "INVALID_UTF8"
  /** The stream ended inside a frame. */
  | "TRUNCATED_FRAME"
  /** The payload is longer than a 4-byte length prefix can express. */
  | "ENCODE_TOO_LARGE"
  /** A peer stopped reading and its outgoing queue passed `maxQueuedBytes`. */
  | "QUEUE_OVERFLOW"
  /** Nothing was received for `idleTimeoutMs`. */
  | "IDLE_TIMEOUT"
  /** A message (frame, line, request head) did not complete in time from its first byte. */
  | "MESSAGE_TIMEOUT"
  /** The peer left its output queue over `stallQueuedBytes` for longer than `sendTimeoutMs`. */
  | "SEND_TIMEOUT"
  /** The server's partial-input budget was spent and this connection held the most. */
  | "INPUT_BUDGET"
  /** The connection is closed. */
  | "CLOSED";

/** The one error class of @netkit/framing; match on `code`. */
export class FramingError extends Error {
  override readonly name = "FramingError";
  constructor(
    readonly code: FramingErrorCode,
    message: string,
    /** The size that broke the limit, in bytes, where there is one. */
    readonly size?: number,
    /** The limit that was broken, in bytes. */
    readonly limit?: number,
  ) {
    super(message);
  }
}
