// The seed's "DNS Server 1.0" name service: length-prefixed frames, one domain name in, one address out.
import { decodeText, frames, type Log, listen, silentLog } from "@netkit/framing";

/** Defaults of the name service and of its client, `lookupName`. */
export const NAME_SERVICE_DEFAULTS = {
  hostname: "127.0.0.1",
  /** The seed's port. */
  port: 10334,
  /** The frame the server sends first. */
  banner: "DNS Server 1.0",
  /** The reply for a name without an address. */
  unknownReply: "unknown domain",
  /** A domain name has at most 253 characters in presentation form (255 wire bytes, RFC 1035 §3.1). */
  maxNameChars: 253,
  /** Any frame larger than this closes the connection: a name plus generous blanks. */
  maxFrameBytes: 1024,
  idleTimeoutMs: 60_000,
  maxConnections: 1024,
  /** Client side: the whole exchange (connect, banner, reply). */
  timeoutMs: 5_000,
} as const;

export interface NameServiceOptions {
  /** @default "127.0.0.1" */
  hostname?: string;
  /** @default 10334 (0: any free port) */
  port?: number;
  /** Gets a normalized name (lower case, no trailing dot) and returns its IPv4 address or null. */
  lookup: (name: string) => string | null;
  log?: Log;
  /** @default 1024 */
  maxFrameBytes?: number;
  /** @default 60000 */
  idleTimeoutMs?: number;
  /** @default 1024 */
  maxConnections?: number;
}

export interface NameService {
  readonly hostname: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Normalizes a name as the name service matches it: surrounding blanks and one trailing dot
 * removed, lower case. Returns null for an empty or over-long name.
 */
export function normalizeServiceName(raw: string): string | null {
  let name = raw.trim();
  if (name.endsWith(".")) name = name.slice(0, -1);
  if (name.length === 0 || name.length > NAME_SERVICE_DEFAULTS.maxNameChars) return null;
  return name.toLowerCase();
}

/** Starts the name service. Each frame a client sends is a name; each gets one reply frame. */
export async function startNameService(options: NameServiceOptions): Promise<NameService> {
  const log = options.log ?? silentLog;
  const lookup = options.lookup;
  const maxFrameBytes = options.maxFrameBytes ?? NAME_SERVICE_DEFAULTS.maxFrameBytes;
  if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 1) {
    throw new RangeError(`bad maxFrameBytes: ${maxFrameBytes}`);
  }
  const server = listen<Uint8Array, Uint8Array | string>({
    hostname: options.hostname ?? NAME_SERVICE_DEFAULTS.hostname,
    port: options.port ?? NAME_SERVICE_DEFAULTS.port,
    protocol: frames({ maxFrameBytes }),
    idleTimeoutMs: options.idleTimeoutMs ?? NAME_SERVICE_DEFAULTS.idleTimeoutMs,
    maxConnections: options.maxConnections ?? NAME_SERVICE_DEFAULTS.maxConnections,
    log,
    onConnection(conn) {
      conn.send(NAME_SERVICE_DEFAULTS.banner);
    },
    onMessage(conn, message) {
      const raw = decodeText(message);
      const name = normalizeServiceName(raw);
      let address: string | null = null;
      try {
        address = name === null ? null : lookup(name);
      } catch (error) {
        log({ level: "error", event: "names.lookup_failed", name, error: String(error) });
      }
      conn.send(address ?? NAME_SERVICE_DEFAULTS.unknownReply);
      log({
        level: "debug",
        event: "names.query",
        client: `${conn.remoteAddress}:${conn.remotePort}`,
        name: name ?? raw.slice(0, 64),
        answer: address ?? NAME_SERVICE_DEFAULTS.unknownReply,
      });
    },
  });
  log({ event: "names.listening", hostname: server.hostname, port: server.port });
  return {
    hostname: server.hostname,
    port: server.port,
    async stop() {
      await server.stop(true);
    },
  };
}
