// WebChatError: the web chat's own failures (its store and its options), apart from HTTP's.

/** The codes a WebChatError carries. */
export type WebChatErrorCode =
  /** The database cannot be reached (PostgreSQL down, a query failed): answered 503, retry. */
  | "STORAGE_UNAVAILABLE"
  /** The store was closed (the server is stopping). */
  | "STORE_CLOSED"
  /** Options that cannot work together. */
  | "BAD_OPTIONS";

/** The one error class of @netkit/httpchat; match on `code`, `status` is the HTTP answer. */
export class WebChatError extends Error {
  override readonly name = "WebChatError";
  constructor(
    readonly code: WebChatErrorCode,
    message: string,
    /** The HTTP status a request that meets this error is answered with. */
    readonly status: number = 503,
  ) {
    super(message);
  }
}
