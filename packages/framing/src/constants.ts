// Wire constants and default limits of the framing codecs.

/** Bytes in the length prefix: an unsigned 32-bit big-endian payload length. */
export const FRAME_PREFIX_BYTES = 4;

/** The largest payload a 4-byte length prefix can express. */
export const MAX_ENCODABLE_FRAME_BYTES = 0xffff_ffff;

/** 1 MiB: far above any BBS post or name-service query, small enough that a lying peer costs little. */
export const DEFAULT_MAX_FRAME_BYTES = 1 << 20;

/** 64 KiB: longer than any line a person types into `nc`, short enough to bound a peer's memory. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

/** 1 MiB of replies may wait for a slow reader before it is disconnected. */
export const DEFAULT_MAX_QUEUED_BYTES = 1 << 20;

/** Pull-mode connections stop reading from the socket while this many messages wait unconsumed. */
export const DEFAULT_MAX_INBOX_MESSAGES = 1024;

/** Behind a `hold()`, received bytes up to this size are kept before reading from the peer pauses. */
export const DEFAULT_MAX_HELD_INPUT_BYTES = 1 << 20;

/**
 * A message must complete within this long of its first byte (plus the rate allowance below).
 * nginx's client_header_timeout is 60 s between reads; ours runs from the first byte and no byte
 * resets it, so 10 s is plenty for a program and cuts a slowloris peer loose quickly.
 */
export const DEFAULT_MESSAGE_TIMEOUT_MS = 10_000;

/**
 * Beyond the message timeout, a message being received may take one more second per this many
 * bytes received: big frames and bodies at a sane rate always finish, 1 byte every few seconds never.
 */
export const DEFAULT_MIN_INPUT_BYTES_PER_SECOND = 1024;

/** Output over this size that does not shrink for `sendTimeoutMs` marks a stalled reader. */
export const DEFAULT_STALL_QUEUED_BYTES = 64 * 1024;

/** nginx's send_timeout is 60 s; a reader that takes nothing for 30 s is not coming back. */
export const DEFAULT_SEND_TIMEOUT_MS = 30_000;
