// Limits and timeouts of the HTTP/1.1 server, each with the reason for its number.

export const HTTP_DEFAULTS = {
  hostname: "127.0.0.1",
  port: 8080,
  /** Request line + header lines (+ their CRLFs) of one request; over it → 431 (Bun and Node use 16 KiB). */
  maxHeaderBytes: 16 * 1024,
  /** Header fields per request (trailers count too); over it → 431 (Node's default is 2000, we want less). */
  maxHeaderCount: 100,
  /** Decoded request body; over it → 413. */
  maxBodyBytes: 1024 * 1024,
  /** A request head must be complete this long after its first byte (slowloris) → 408. */
  headersTimeoutMs: 10_000,
  /** A request body that stalls this long between chunks → 408 (slow-body slowloris). */
  bodyIdleTimeoutMs: 10_000,
  /** A kept-alive connection with no request in progress is closed after this long. */
  keepAliveTimeoutMs: 5_000,
  /** Open connections; further ones get 503 and are closed. */
  maxConnections: 10_000,
  /** Response bytes queued for a slow reader before we stop reading its requests. */
  maxQueuedBytes: 1024 * 1024,
  /** Requests parsed ahead of the one being answered (pipelining) before we stop reading. */
  maxPipelinedRequests: 32,
} as const;

/** One chunk-size line (hex digits + extensions); chunk extensions are ignored but bounded. */
export const MAX_CHUNK_LINE_BYTES = 4096;
/** 2^53 needs 14 hex digits; a longer size cannot be a real body and would overflow. */
export const MAX_CHUNK_SIZE_HEX_DIGITS = 13;
