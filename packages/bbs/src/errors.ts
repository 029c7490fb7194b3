// BbsError: the one error class of @netkit/bbs; match on `code`, not on the message.

/** The codes a BbsError carries. */
export type BbsErrorCode =
  | "WRONG_PROTOCOL" // the server's banner is not "BBS Server 1.2"
  | "UNKNOWN_DOMAIN" // the name service does not know the domain
  | "PROTOCOL" // the peer sent something the protocol does not allow here
  | "CLOSED" // the connection ended before the reply
  | "STORE_CLOSED" // a write reached a store that was already closed
  | "STORAGE_UNAVAILABLE" // the database (PostgreSQL) refused or could not be reached: nothing stored
  | "REFUSED" // the server answered `error: <reason>`
  | "TIMEOUT"; // no reply in time

/** The one error class of @netkit/bbs; match on `code`. */
export class BbsError extends Error {
  override readonly name = "BbsError";
  constructor(
    readonly code: BbsErrorCode,
    message: string,
  ) {
    super(message);
  }
}
