// StoreError: the one error class of @netkit/store; match on `code`.

/** What went wrong, as a stable string. */
export type StoreErrorCode =
  /** The database's schema version is newer than the newest migration the code knows. */
  | "SCHEMA_TOO_NEW"
  /** A write was submitted to a group-commit queue after close(). */
  | "QUEUE_CLOSED";

/** An error raised by @netkit/store itself (engine errors are passed through unchanged). */
export class StoreError extends Error {
  override readonly name = "StoreError";
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}
