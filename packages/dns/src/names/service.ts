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
  /**
   * A client sends its name right after the banner and closes after the reply; 10 s of silence
   * means it is gone (at 60 s, 1,024 silent peers held the service for a minute: issue 12).
   */
  idleTimeoutMs: 10_000,
  /**
   * A frame must be whole this long after its first byte, whatever trickles in meanwhile: a name
   * is one segment, and 5 s covers its retransmits (nginx's client_header_timeout, from byte one).
   */
  messageTimeoutMs: 5_000,
  /** Far more than the BBS hosts asking; 1,030 attackers cost ~14 MiB (test/attack.loopback). */
  maxConnections: 1024,
  /**
   * A client holds one connection per lookup for a round trip; 16 at once from one address is a
   * busy NAT, and 64 addresses are needed to fill `maxConnections`.
   */
  maxConnectionsPerAddress: 16,
  /** Client side: the whole exchange (connect, banner, reply). */
  timeoutMs: 5_000,
} as const;

/** The name service's defences (framing's listen limits), each with its default above. */
export interface NameServiceLimits {
  /** @default 1024 */
  maxFrameBytes?: number;
  /** 0 = never. @default 10000 */
  idleTimeoutMs?: number;
  /** A frame must be complete this long after its first byte; 0 = no deadline. @default 5000 */
  messageTimeoutMs?: number;
  /** @default 1024 */
  maxConnections?: number;
  /** 0 = no per-address cap. @default 16 */
  maxConnectionsPerAddress?: number;
}

/** Options of `startNameService`; each one left out takes its value from `NAME_SERVICE_DEFAULTS`. */
export interface NameServiceOptions extends NameServiceLimits {
  /** @default "127.0.0.1" */
  hostname?: string;
  /** @default 10334 (0: any free port) */
  port?: number;
  /** Gets a normalized name (lower case, no trailing dot) and returns its IPv4 address or null. */
  lookup: (name: string) => string | null;
  log?: Log;
}

/** A running name service, as `startNameService` resolves it. */
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
  const idleTimeoutMs = options.idleTimeoutMs ?? NAME_SERVICE_DEFAULTS.idleTimeoutMs;
  const messageTimeoutMs = options.messageTimeoutMs ?? NAME_SERVICE_DEFAULTS.messageTimeoutMs;
  if (!Number.isInteger(idleTimeoutMs) || idleTimeoutMs < 0)
    throw new RangeError(`bad idleTimeoutMs: ${idleTimeoutMs}`);
  if (!Number.isInteger(messageTimeoutMs) || messageTimeoutMs < 0)
    throw new RangeError(`bad messageTimeoutMs: ${messageTimeoutMs}`);
  const server = listen<Uint8Array, Uint8Array | string>({
    hostname: options.hostname ?? NAME_SERVICE_DEFAULTS.hostname,
    port: options.port ?? NAME_SERVICE_DEFAULTS.port,
    protocol: frames({ maxFrameBytes }),
    idleTimeoutMs,
    messageTimeoutMs,
    maxConnections: options.maxConnections ?? NAME_SERVICE_DEFAULTS.maxConnections,
    maxConnectionsPerAddress:
      options.maxConnectionsPerAddress ?? NAME_SERVICE_DEFAULTS.maxConnectionsPerAddress,
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
