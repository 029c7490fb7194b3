// Wire constants and default limits of the framing codecs.

/** Bytes in the length prefix: an unsigned 32-bit big-endian payload length. */
export const HEADER_BYTES = 4;

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
