// The `lookup` tool behind the CLI: ask, then print as dig, dig +short, JSON, and --explain.
import type { ConnectTlsOptions } from "@netkit/framing";

import { reverseName } from "../codec/address.ts";
import { createQuery } from "../codec/message.ts";
import { RecordType } from "../constants.ts";
import { DnsError } from "../errors.ts";
import {
  interpretResponse,
  RESOLVER_DEFAULTS,
  Resolver,
  type ResolverOptions,
} from "../resolver/resolver.ts";
import { explainAnswer, formatDigText, formatShort, toLookupJson } from "./format.ts";

/** Exit codes, as dig uses them. */
export const LOOKUP_EXIT = {
  /** A reply arrived (NXDOMAIN and SERVFAIL included). */
  ok: 0,
  /** A reply arrived but could not be parsed. */
  badReply: 1,
  /** Bad command line. */
  usage: 2,
  /** No server replied. */
  noReply: 9,
} as const;

/** Everything `lookup` needs to run; the CLI builds it from argv. */
export interface LookupOptions {
  name: string;
  type: number;
  /** Servers ("ip", "ip:port", "[v6]:port"); empty → /etc/resolv.conf. */
  servers?: string[];
  tcp?: boolean;
  /** DNS over TLS (RFC 7858), as `kdig +tls`; the server's certificate is verified. */
  tls?: ConnectTlsOptions;
  short?: boolean;
  json?: boolean;
  explain?: boolean;
  /** @default RESOLVER_DEFAULTS.timeoutMs */
  timeoutMs?: number;
  /** @default RESOLVER_DEFAULTS.retries */
  retries?: number;
  /** Echoed in the dig-style banner. */
  commandLine?: string;
}

/** What `runLookup` uses for an option left out. */
export const LOOKUP_DEFAULTS = {
  type: RecordType.A,
  timeoutMs: RESOLVER_DEFAULTS.timeoutMs,
  retries: RESOLVER_DEFAULTS.retries,
} as const;

/** The name to ask for `-x ADDRESS`: its in-addr.arpa / ip6.arpa name (throws BAD_VALUE). */
export function reverseQueryName(address: string): string {
  return reverseName(address);
}

/** Runs one lookup, writes the output, returns the exit code. */
export async function runLookup(
  options: LookupOptions,
  out: (text: string) => void,
  err: (text: string) => void,
): Promise<number> {
  const resolverOptions: ResolverOptions = {
    timeoutMs: options.timeoutMs ?? LOOKUP_DEFAULTS.timeoutMs,
    retries: options.retries ?? LOOKUP_DEFAULTS.retries,
    tcp: options.tcp ?? false,
  };
  if (options.tls) resolverOptions.tls = options.tls;
  if (options.servers && options.servers.length > 0) resolverOptions.servers = options.servers;
  const resolver = new Resolver(resolverOptions);
  const name = options.name.endsWith(".") ? options.name : `${options.name}.`;
  try {
    const result = await resolver.query(createQuery(name, options.type));
    const meaning = interpretResponse(result.response, name, options.type);
    const explain = options.explain ? explainAnswer(result, meaning) : undefined;
    if (options.json) {
      out(`${JSON.stringify(toLookupJson(result, meaning, explain))}\n`);
    } else {
      if (options.short) out(formatShort(result.response));
      else
        out(
          formatDigText(result, { commandLine: options.commandLine ?? `${name} ${options.type}` }),
        );
      if (explain) out(`${explain.map((l) => `;; ${l}`).join("\n")}\n`);
    }
    return LOOKUP_EXIT.ok;
  } catch (e) {
    if (!(e instanceof DnsError)) throw e;
    const code =
      e.code === "BAD_RESPONSE"
        ? LOOKUP_EXIT.badReply
        : e.code === "TIMEOUT" || e.code === "NETWORK" || e.code === "NO_SERVERS"
          ? LOOKUP_EXIT.noReply
          : LOOKUP_EXIT.badReply;
    if (options.json) out(`${JSON.stringify({ error: { code: e.code, message: e.message } })}\n`);
    const what =
      code === LOOKUP_EXIT.noReply
        ? "communications error: no servers could be reached"
        : "reply could not be parsed";
    err(`;; ${what}: ${e.message}\n`);
    return code;
  } finally {
    resolver.close();
  }
}
