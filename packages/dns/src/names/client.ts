// Client of the "DNS Server 1.0" name service: what the BBS client asks before it connects.
import { connect, decodeText, frames } from "@netkit/framing";
import { DnsError } from "../errors.ts";
import { NAME_SERVICE_DEFAULTS } from "./service.ts";

/** Options of `lookupName`. */
export interface LookupNameOptions {
  /** @default "127.0.0.1" */
  host?: string;
  /** @default 10334 */
  port?: number;
  /** Bounds the whole exchange. @default 5000 */
  timeoutMs?: number;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * Asks the name service for `name`'s IPv4 address. Resolves with the address, or null when the
 * service answers "unknown domain". Rejects when the service can't be reached, speaks another
 * protocol, or doesn't answer within `timeoutMs` (DnsError NETWORK / BAD_RESPONSE / TIMEOUT).
 */
export async function lookupName(
  name: string,
  options: LookupNameOptions = {},
): Promise<string | null> {
  const host = options.host ?? NAME_SERVICE_DEFAULTS.hostname;
  const port = options.port ?? NAME_SERVICE_DEFAULTS.port;
  const timeoutMs = options.timeoutMs ?? NAME_SERVICE_DEFAULTS.timeoutMs;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let conn: Awaited<ReturnType<typeof connect<Uint8Array, Uint8Array | string>>> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      conn?.destroy();
      reject(
        new DnsError(
          "TIMEOUT",
          `name service ${host}:${port} did not answer within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
  });
  const exchange = async (): Promise<string | null> => {
    try {
      conn = await connect<Uint8Array, Uint8Array | string>({
        hostname: host,
        port,
        protocol: frames({ maxFrameBytes: NAME_SERVICE_DEFAULTS.maxFrameBytes }),
      });
    } catch (error) {
      throw new DnsError("NETWORK", `name service ${host}:${port}: ${(error as Error).message}`);
    }
    try {
      const banner = await conn.receive();
      if (banner === undefined || decodeText(banner) !== NAME_SERVICE_DEFAULTS.banner) {
        throw new DnsError(
          "BAD_RESPONSE",
          `${host}:${port} is not a name service (banner ${JSON.stringify(banner && decodeText(banner))})`,
        );
      }
      conn.send(name);
      const reply = await conn.receive();
      if (reply === undefined)
        throw new DnsError("BAD_RESPONSE", `name service ${host}:${port} closed without answering`);
      const text = decodeText(reply);
      if (text === NAME_SERVICE_DEFAULTS.unknownReply) return null;
      if (!IPV4.test(text))
        throw new DnsError(
          "BAD_RESPONSE",
          `name service ${host}:${port} answered ${JSON.stringify(text)}`,
        );
      return text;
    } finally {
      conn.close();
    }
  };
  try {
    return await Promise.race([exchange(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
