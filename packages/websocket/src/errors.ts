// WebSocketError: one error class for the package; `code` is the contract, `closeCode` what to tell the peer (§7.4.1).
import { CloseCode } from "./constants.ts";

/** What went wrong, as a stable string to match on. */
export type WebSocketErrorCode =
  | "UNMASKED_FRAME"
  | "MASKED_FRAME"
  | "RESERVED_BITS"
  | "RESERVED_OPCODE"
  | "CONTROL_TOO_LONG"
  | "FRAGMENTED_CONTROL"
  | "UNEXPECTED_CONTINUATION"
  | "EXPECTED_CONTINUATION"
  | "LENGTH_HIGH_BIT"
  | "FRAME_TOO_LARGE"
  | "MESSAGE_TOO_LARGE"
  | "TOO_MANY_FRAGMENTS"
  | "INVALID_UTF8"
  | "BAD_CLOSE_PAYLOAD"
  | "BAD_CLOSE_CODE"
  | "INFLATE_FAILED"
  | "HANDSHAKE_FAILED"
  | "PONG_TIMEOUT"
  | "CLOSE_TIMEOUT"
  | "HANDLER_FAILED"
  | "INTERNAL_ERROR";

/** Every failure of this package: a `code` to match on and the `closeCode` the peer is told. */
export class WebSocketError extends Error {
  override readonly name = "WebSocketError";
  constructor(
    readonly code: WebSocketErrorCode,
    message: string,
    /** The close code this failure is reported to the peer with. */
    readonly closeCode: number = CloseCode.PROTOCOL_ERROR,
  ) {
    super(message);
  }
}
