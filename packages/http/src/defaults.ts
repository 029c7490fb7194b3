// Limits and timeouts of the HTTP/1.1 server, each with the reason for its number.

/** What `startHttpServer` and `RequestParser` use for an option left out (`--help` shows these). */
export const HTTP_DEFAULTS = {
  /** Loopback only: listening on every interface is a choice to make, not a default. */
  hostname: "127.0.0.1",
  port: 8080,
  /** Request line + header lines (+ their CRLFs) of one request; over it → 431 (Bun and Node use 16 KiB). */
  maxHeaderBytes: 16 * 1024,
  /** Header fields per request (trailers count too); over it → 431 (Node's default is 2000, we want less). */
  maxHeaderCount: 100,
  /** Decoded request body; over it → 413. */
  maxBodyBytes: 1024 * 1024,
  /**
   * A request (head and body) must be complete this long after its first byte, plus a second per
   * `minRequestBytesPerSecond` bytes received (a 1 MiB upload gets 10 s + 1024 s): no byte resets
   * it, so neither a slowloris head nor a body trickled a byte at a time holds a slot → 408.
   * nginx gives the head 60 s (client_header_timeout); a real client sends a head in one packet.
   */
  requestTimeoutMs: 10_000,
  /** The minimum average rate of a request past its first 10 s (nginx allows any rate, a byte a minute). */
  minRequestBytesPerSecond: 1024,
  /** A kept-alive connection with no request in progress is closed after this long. */
  keepAliveTimeoutMs: 5_000,
  /** Open connections; further ones get 503 and are closed. */
  maxConnections: 10_000,
  /** Response bytes queued for one reader; the hard cap (writing waits at 256 KiB). */
  maxQueuedBytes: 1024 * 1024,
  /** A reader that leaves over 64 KiB unread this long is disconnected (nginx send_timeout: 60 s). */
  sendTimeoutMs: 30_000,
  /** Connections from one address (a browser opens 6); 0 = no cap. */
  maxConnectionsPerAddress: 64,
  /** Requests parsed ahead of the one being answered (pipelining) before we stop reading. */
  maxPipelinedRequests: 32,
} as const;

/** One chunk-size line (hex digits + extensions); chunk extensions are ignored but bounded. */
export const MAX_CHUNK_LINE_BYTES = 4096;
/** 2^53 needs 14 hex digits; a longer size cannot be a real body and would overflow. */
export const MAX_CHUNK_SIZE_HEX_DIGITS = 13;
