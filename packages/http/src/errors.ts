// HttpError: the one error class of @netkit/http; `code` is the contract, `status` what the peer is told.

/** Why a request was refused: the stable contract to match on (`error.code`), not the message. */
export type HttpErrorCode =
  | "BAD_REQUEST_LINE"
  | "BAD_VERSION"
  | "BAD_HEADER"
  | "BAD_LINE_ENDING"
  | "OBS_FOLD"
  | "MISSING_HOST"
  | "BAD_CONTENT_LENGTH"
  | "CONFLICTING_LENGTH"
  | "CHUNKED_NOT_LAST"
  | "UNSUPPORTED_TRANSFER_CODING"
  | "BAD_CHUNK"
  | "HEADERS_TOO_LARGE"
  | "TOO_MANY_HEADERS"
  | "BODY_TOO_LARGE"
  | "REQUEST_TIMEOUT"
  | "UNSUPPORTED_METHOD";

/**
 * A request that cannot be answered as HTTP (the parser's only error): match on `code`; `status`
 * is what the server answers with, with `Connection: close`, before it closes the connection.
 */
export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly code: HttpErrorCode,
    message: string,
    /** The status sent to the peer before the connection is closed. */
    readonly status: number = 400,
  ) {
    super(message);
  }
}
