// Defaults and limits of the BBS, in one object so --help and tests show the real values.

/** The banner the seed's server sends first and the seed's client checks. */
export const BANNER = "BBS Server 1.2";

/** What `startBbsServer` uses for an option left out (`--help` shows these). */
export const BBS_DEFAULTS = {
  hostname: "127.0.0.1",
  /** The seed's port. */
  port: 10333,
  /** BBS over TLS, beside the plain port. */
  tlsPort: 10433,
  dbPath: "./data/bbs.sqlite",
  /** WAL + NORMAL survives kill -9 (the WAL is in the OS page cache); FULL also survives power loss. */
  synchronous: "NORMAL" as "NORMAL" | "FULL",
  /** WAL pages between automatic checkpoints (each checkpoint fsyncs): 64 MiB of 4 KiB pages. */
  walAutocheckpointPages: 16384,
  /** Checkpoint the WAL once writes paused this long (ms) and ≥ idleCheckpointCommits went in. */
  idleCheckpointMs: 20,
  idleCheckpointCommits: 100,
  /** Usernames: 1–32 characters, no spaces, no control characters. */
  maxUsernameChars: 32,
  /** Posts and DMs: UTF-8 bytes of the text. */
  maxTextBytes: 4096,
  /**
   * Frames above this close the connection. Above maxTextBytes and below it, a frame is refused
   * (logged, not stored) but the session continues.
   */
  maxFrameBytes: 64 * 1024,
  /** Outgoing bytes queued for one client before it is disconnected (a stalled reader). */
  maxQueuedBytes: 1024 * 1024,
  /** A listing stops and the client is disconnected if it reads nothing for this long. */
  stallTimeoutMs: 30_000,
  /** Idle sessions are closed after this long without a frame (0: never). */
  idleTimeoutMs: 10 * 60_000,
  maxConnections: 10_000,
  /** Connections from one source address (0: no cap): one client cannot fill the server. */
  maxConnectionsPerAddress: 64,
  /**
   * A frame must be complete this long after its first byte, plus 1 s per KiB received; no byte
   * resets it (0: off). Programs send a frame at once; 10 s is generous.
   */
  messageTimeoutMs: 10_000,
  /** Partial frames all clients may hold together; past it the biggest holders are closed. */
  maxBufferedInputBytes: 32 << 20,
  /** A client that leaves over 64 KiB of replies untaken this long is disconnected. */
  sendTimeoutMs: 30_000,
  /**
   * Received bytes a client may have waiting behind its command in flight before the server stops
   * reading from it (it resumes at half).
   */
  maxHeldInputBytes: 1024 * 1024,
  /** How long closing a session waits for its queued replies to drain before dropping them. */
  closeTimeoutMs: 5000,
  /** Passwords shorter than this are refused as too weak. */
  minPasswordChars: 8,
  maxPasswordBytes: 1024,
  /**
   * Login attempts per window, per name and per remote address (IPv6: /64) across names; an
   * attempt counts from before its password is checked until it succeeds (throttle.ts).
   */
  maxFailuresPerName: 5,
  maxFailuresPerAddress: 20,
  failureWindowMs: 15 * 60_000,
  /** argon2id cost (Bun.password); memory in KiB. */
  argon2MemoryKiB: 19 * 1024,
  argon2TimeCost: 2,
};

/** SQLite's `synchronous` setting for the board's database: NORMAL (fast, may lose the last commits on power loss) or FULL. */
export type SynchronousMode = "NORMAL" | "FULL";
