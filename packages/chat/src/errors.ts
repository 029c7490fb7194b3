// ChatError: the one error class of @netkit/chat. Its `code` is the contract (and goes on the wire).

/** The codes a ChatError carries. */
export type ChatErrorCode =
  | "NAME_TAKEN"
  | "NAME_INVALID"
  /** A line holding a character the text policy refuses (a control, a bidi control). */
  | "TEXT_INVALID"
  /** A line that is not valid UTF-8. */
  | "INVALID_UTF8"
  | "UNKNOWN_COMMAND"
  | "BAD_COMMAND"
  | "NO_SUCH_USER"
  | "FLOOD"
  | "LINE_TOO_LONG"
  | "QUEUE_OVERFLOW"
  | "IDLE_TIMEOUT"
  | "TOO_MANY_CONNECTIONS"
  | "SERVER_STOPPING";

/** The one error class of @netkit/chat; match on `code`, which is also what the server sends in its `error CODE` line. */
export class ChatError extends Error {
  override readonly name = "ChatError";
  constructor(
    readonly code: ChatErrorCode,
    message: string,
  ) {
    super(message);
  }

  /** The line a client sees: `error CODE: message`. */
  toLine(): string {
    return `error ${this.code}: ${this.message}`;
  }
}
