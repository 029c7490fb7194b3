// /etc/resolv.conf: the servers and options a stub resolver starts from (resolv.conf(5)).
import { isIPv4, isIPv6 } from "../codec/address.ts";

/** A DNS server to ask: an IP literal and a port. */
export interface ServerAddress {
  address: string;
  port: number;
}

/** What we use from resolv.conf. */
export interface ResolvConf {
  servers: ServerAddress[];
  /** `options timeout:n`, in ms. */
  timeoutMs?: number;
  /** `options attempts:n`. */
  attempts?: number;
}

/** Parses resolv.conf text: `nameserver` lines (IPv4/IPv6, `%scope` dropped), `options timeout/attempts`. */
export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { servers: [] };
  for (const raw of text.split("\n")) {
    const line = raw.replace(/[;#].*$/, "").trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === "nameserver" && rest[0]) {
      const address = (rest[0] as string).replace(/%.*$/, "");
      if (isIPv4(address) || isIPv6(address)) conf.servers.push({ address, port: 53 });
    } else if (key === "options") {
      for (const opt of rest) {
        const m = /^(timeout|attempts):(\d+)$/.exec(opt);
        if (m?.[1] === "timeout") conf.timeoutMs = Number(m[2]) * 1000;
        if (m?.[1] === "attempts") conf.attempts = Number(m[2]);
      }
    }
  }
  return conf;
}

/** Reads and parses a resolv.conf file; a missing file gives no servers. */
export async function readResolvConf(path = "/etc/resolv.conf"): Promise<ResolvConf> {
  const file = Bun.file(path);
  if (!(await file.exists())) return { servers: [] };
  return parseResolvConf(await file.text());
}

/**
 * "192.0.2.1", "192.0.2.1:5353", "[2001:db8::1]:53", "2001:db8::1" → ServerAddress. Undefined
 * when it is not an IP literal (host names are not resolved here).
 */
export function parseServerAddress(text: string, defaultPort = 53): ServerAddress | undefined {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracket) {
    const address = bracket[1] as string;
    const port = bracket[2] === undefined ? defaultPort : Number(bracket[2]);
    return isIPv6(address) && port <= 65535 ? { address, port } : undefined;
  }
  if (isIPv6(text)) return { address: text, port: defaultPort };
  const m = /^([^:]+)(?::(\d+))?$/.exec(text);
  if (!m || !isIPv4(m[1] as string)) return undefined;
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  return port <= 65535 ? { address: m[1] as string, port } : undefined;
}

/** "192.0.2.1#53" / "[::1]#53" style text used in output. */
export function formatServerAddress(s: ServerAddress): string {
  return `${s.address}#${s.port}`;
}
