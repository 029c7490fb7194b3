// Stub resolver: query() sends one message (UDP, TCP on truncation, retries rotating servers),
// resolve() asks a question and interprets the answer (CNAME chains, NXDOMAIN vs NODATA, RFC 2308).
import { type ConnectTlsOptions, type Log, silentLog } from "@netkit/framing";
import { createQuery, decodeMessage, encodeMessage } from "../codec/message.ts";
import { normalizeName } from "../codec/name.ts";
import type { Message, ResourceRecord, SoaData, TypedRecord } from "../codec/types.ts";
import { DEFAULT_EDNS_UDP_BYTES, Rcode, RecordType, rcodeName } from "../constants.ts";
import { cancelledError, DnsError } from "../errors.ts";
import {
  formatServerAddress,
  parseServerAddress,
  type ResolvConf,
  readResolvConf,
  type ServerAddress,
} from "./resolv-conf.ts";
import { tcpExchange } from "./tcp.ts";
import { UdpClient } from "./udp.ts";

/** Resolver options; every field has a default in RESOLVER_DEFAULTS. */
export interface ResolverOptions {
  /** Servers as ServerAddress or "ip", "ip:port", "[v6]:port". @default from /etc/resolv.conf */
  servers?: (ServerAddress | string)[];
  /** Wait per attempt. @default 2000 */
  timeoutMs?: number;
  /** Extra rounds over the server list after the first. @default 2 */
  retries?: number;
  /** Always use TCP. @default false */
  tcp?: boolean;
  /** Retry over TCP when a UDP answer is truncated. @default true */
  tcpOnTruncation?: boolean;
  /** EDNS UDP payload size to advertise; 0 sends no OPT record. @default 1232 */
  ednsUdpPayloadSize?: number;
  /** RD bit. @default true */
  recursionDesired?: boolean;
  /** Longest CNAME chain followed. @default 16 */
  maxCnameHops?: number;
  /** @default silent */
  log?: Log;
  /** Cancels the query: waiting stops at once and it fails with DnsError CANCELLED. */
  signal?: AbortSignal;
  /**
   * DNS over TLS (RFC 7858), like `kdig +tls`: every query goes over TLS and the server's
   * certificate must verify (against `ca` when given). A failure is an error, never clear text.
   */
  tls?: ConnectTlsOptions;
}

/** What `Resolver` uses for an option left out. */
export const RESOLVER_DEFAULTS = {
  servers: [] as (ServerAddress | string)[],
  timeoutMs: 2000,
  retries: 2,
  tcp: false,
  tcpOnTruncation: true,
  ednsUdpPayloadSize: DEFAULT_EDNS_UDP_BYTES,
  recursionDesired: true,
  maxCnameHops: 16,
  log: silentLog,
} satisfies Required<Omit<ResolverOptions, "signal" | "tls">>;

/** What query() returns: the reply and how it was obtained. */
export interface QueryResult {
  response: Message;
  /** The reply's bytes as received. */
  bytes: Uint8Array;
  /** The query as sent (its id is the one that was used). */
  query: Message;
  server: ServerAddress;
  transport: "udp" | "tcp";
  /** A UDP reply had TC set and the answer was fetched again over TCP. */
  retriedOverTcp: boolean;
  /** Attempts made (1 = the first one answered). */
  attempts: number;
  /** From the last send to the reply. */
  elapsedMs: number;
}

/** A step of a CNAME chain. */
export interface CnameStep {
  name: string;
  target: string;
  ttl: number;
}

/** What resolve() returns. */
export interface ResolveResult<T extends ResourceRecord = ResourceRecord> {
  /** The name asked, as given (made absolute). */
  name: string;
  type: number;
  rcode: number;
  /**
   * NOERROR with records, NODATA (NOERROR, none of the type: RFC 2308 §2.2), NXDOMAIN (the name
   * does not exist), or the rcode's name for other failures (SERVFAIL, REFUSED, ...).
   */
  status: "NOERROR" | "NODATA" | "NXDOMAIN" | string;
  /** Records of the asked type at the end of the CNAME chain. */
  records: T[];
  /** CNAMEs followed, in order, from the asked name. */
  cnames: CnameStep[];
  /** The name the records belong to (the asked name when there was no CNAME). */
  canonicalName: string;
  /** For NXDOMAIN/NODATA: the SOA from the authority section and the negative TTL it gives. */
  negative?: { soa: ResourceRecord; ttl: number };
  /** Every exchange made, in order (more than one when a chain left the first answer). */
  exchanges: QueryResult[];
}

type Resolved = Required<Omit<ResolverOptions, "servers" | "signal" | "tls">> & {
  servers: ServerAddress[];
  signal: AbortSignal | undefined;
  tls: ConnectTlsOptions | undefined;
};

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError(signal);
}

function normalizeServers(list: (ServerAddress | string)[]): ServerAddress[] {
  return list.map((s) => {
    if (typeof s !== "string") return s;
    const parsed = parseServerAddress(s);
    if (!parsed) throw new TypeError(`servers: "${s}" is not an IP address with optional port`);
    return parsed;
  });
}

/** True when the reply answers the query: same id, QR set, same question (names case-insensitive). */
export function matchesQuery(query: Message, reply: Message): boolean {
  if (reply.id !== query.id || !reply.isResponse) return false;
  // A FORMERR/NOTIMP reply may come without the question section (RFC 1035 leaves it open).
  if (reply.questions.length === 0) return reply.rcode !== 0;
  if (reply.questions.length !== query.questions.length) return false;
  return query.questions.every((q, i) => {
    const r = reply.questions[i];
    return (
      r !== undefined &&
      r.type === q.type &&
      r.class === q.class &&
      normalizeName(r.name) === normalizeName(q.name)
    );
  });
}

/** What one response says about a question: see interpretResponse. */
export interface Interpretation {
  type: number;
  rcode: number;
  status: string;
  records: ResourceRecord[];
  cnames: CnameStep[];
  canonicalName: string;
  negative?: { soa: ResourceRecord; ttl: number };
}

/**
 * Reads one response for `name`/`type`: follows the CNAME chain inside the answer section,
 * collects the records of `type` at its end, and classifies the outcome: NOERROR (records),
 * NODATA (NOERROR, none: RFC 2308 §2.2), NXDOMAIN, or another rcode's name. For negative answers
 * the authority SOA gives the negative TTL, min(SOA TTL, SOA MINIMUM) (RFC 2308 §5).
 * Throws BAD_RESPONSE on a CNAME loop or a chain longer than `maxCnameHops`.
 */
export function interpretResponse(
  r: Message,
  name: string,
  type: number,
  maxCnameHops = RESOLVER_DEFAULTS.maxCnameHops,
  seen = new Set<string>([normalizeName(name)]),
): Interpretation {
  const cnames: CnameStep[] = [];
  let current = name.endsWith(".") ? name : `${name}.`;
  for (;;) {
    if (type === RecordType.CNAME || type === RecordType.ANY) break;
    const key = normalizeName(current);
    const hop = r.answers.find((a) => a.type === RecordType.CNAME && normalizeName(a.name) === key);
    if (!hop) break;
    const target = (hop.data as { target: string }).target;
    cnames.push({ name: hop.name, target, ttl: hop.ttl });
    const tkey = normalizeName(target);
    if (seen.has(tkey) || cnames.length > maxCnameHops) {
      throw new DnsError(
        "BAD_RESPONSE",
        `CNAME loop or chain longer than ${maxCnameHops} at ${target}`,
        Rcode.SERVFAIL,
      );
    }
    seen.add(tkey);
    current = target;
  }
  const key = normalizeName(current);
  const records = r.answers.filter(
    (a) => (type === RecordType.ANY || a.type === type) && normalizeName(a.name) === key,
  );
  let status: string = rcodeName(r.rcode);
  if (r.rcode === Rcode.NOERROR && records.length === 0) status = "NODATA";
  const out: Interpretation = {
    type,
    rcode: r.rcode,
    status,
    records,
    cnames,
    canonicalName: current,
  };
  const soa = r.authorities.find((a) => a.type === RecordType.SOA);
  if ((status === "NODATA" || status === "NXDOMAIN") && soa && !(soa.data instanceof Uint8Array)) {
    out.negative = { soa, ttl: Math.min(soa.ttl, (soa.data as SoaData).minimum) };
  }
  return out;
}

/**
 * A stub resolver. Concurrent queries share one UDP socket per address family and are told apart
 * by random ids; replies from the wrong address, with the wrong id or question, are ignored.
 */
export class Resolver {
  readonly #options: ResolverOptions;
  readonly #udp = new UdpClient();
  #servers?: Promise<ServerAddress[]>;
  /** resolv.conf, when the servers came from it: its timeout/attempts options fill in defaults. */
  #conf?: ResolvConf;

  constructor(options: ResolverOptions = {}) {
    const timeoutMs = options.timeoutMs ?? RESOLVER_DEFAULTS.timeoutMs;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
      throw new RangeError(`bad timeoutMs: ${timeoutMs}`);
    const retries = options.retries ?? RESOLVER_DEFAULTS.retries;
    if (!Number.isInteger(retries) || retries < 0) throw new RangeError(`bad retries: ${retries}`);
    if (options.servers) this.#servers = Promise.resolve(normalizeServers(options.servers));
    this.#options = options;
    const log = options.log ?? RESOLVER_DEFAULTS.log;
    this.#udp.onIgnored = (from, reason) =>
      log({ level: "debug", event: "dns.reply.ignored", from, reason });
  }

  async #resolved(overrides: ResolverOptions = {}): Promise<Resolved> {
    const o = this.#options;
    const pick = <K extends keyof ResolverOptions>(k: K) => overrides[k] ?? o[k];
    let servers: ServerAddress[];
    if (overrides.servers) servers = normalizeServers(overrides.servers);
    else {
      this.#servers ??= readResolvConf().then((c) => {
        this.#conf = c;
        return c.servers;
      });
      servers = await this.#servers;
    }
    if (servers.length === 0) {
      throw new DnsError(
        "NO_SERVERS",
        "no servers given and none in /etc/resolv.conf",
        Rcode.SERVFAIL,
      );
    }
    return {
      servers,
      timeoutMs: pick("timeoutMs") ?? this.#conf?.timeoutMs ?? RESOLVER_DEFAULTS.timeoutMs,
      retries:
        pick("retries") ??
        (this.#conf?.attempts !== undefined ? Math.max(0, this.#conf.attempts - 1) : undefined) ??
        RESOLVER_DEFAULTS.retries,
      tcp: pick("tcp") ?? RESOLVER_DEFAULTS.tcp,
      tcpOnTruncation: pick("tcpOnTruncation") ?? RESOLVER_DEFAULTS.tcpOnTruncation,
      ednsUdpPayloadSize: pick("ednsUdpPayloadSize") ?? RESOLVER_DEFAULTS.ednsUdpPayloadSize,
      recursionDesired: pick("recursionDesired") ?? RESOLVER_DEFAULTS.recursionDesired,
      maxCnameHops: pick("maxCnameHops") ?? RESOLVER_DEFAULTS.maxCnameHops,
      log: pick("log") ?? RESOLVER_DEFAULTS.log,
      signal: pick("signal"),
      tls: pick("tls"),
    };
  }

  /**
   * Sends `message` and returns the reply. Tries each server in turn for `retries + 1` rounds,
   * each attempt with a fresh random id; over UDP a truncated reply is fetched again over TCP.
   * Throws DnsError TIMEOUT when nobody answered, BAD_RESPONSE when the only replies were
   * undecodable, NETWORK when every attempt failed at the socket.
   */
  async query(message: Message, overrides: ResolverOptions = {}): Promise<QueryResult> {
    const o = await this.#resolved(overrides);
    const rounds = o.retries + 1;
    let lastError: DnsError | undefined;
    let attempts = 0;
    for (let round = 0; round < rounds; round++) {
      for (const server of o.servers) {
        throwIfCancelled(o.signal);
        attempts++;
        try {
          const r = await this.#attempt(message, server, o);
          return { ...r, attempts };
        } catch (e) {
          if (!(e instanceof DnsError) || e.code === "CANCELLED") throw e;
          o.log({
            level: "debug",
            event: "dns.attempt.failed",
            server: formatServerAddress(server),
            code: e.code,
            message: e.message,
          });
          // A reply that does not decode beats a timeout as the error to report.
          if (!lastError || e.code === "BAD_RESPONSE" || lastError.code === "TIMEOUT") {
            if (!(lastError?.code === "BAD_RESPONSE" && e.code !== "BAD_RESPONSE")) lastError = e;
          }
        }
      }
    }
    throw lastError ?? new DnsError("TIMEOUT", "no reply");
  }

  async #attempt(
    message: Message,
    server: ServerAddress,
    o: Resolved,
  ): Promise<Omit<QueryResult, "attempts">> {
    const useTcp = o.tcp || o.tls !== undefined; // DNS over TLS is TCP with TLS
    const query: Message = { ...message, id: this.#udp.allocateId() };
    const bytes = encodeMessage(query);
    let badReply: DnsError | undefined;
    let response: Message | undefined;
    let replyBytes: Uint8Array | undefined;
    const accept = (reply: Uint8Array): boolean => {
      let decoded: Message;
      try {
        decoded = decodeMessage(reply);
      } catch (e) {
        badReply = new DnsError(
          "BAD_RESPONSE",
          `undecodable reply from ${formatServerAddress(server)}: ${(e as Error).message}`,
          Rcode.SERVFAIL,
        );
        // Over UDP, garbage carrying our id ends this attempt early (it may be spoofed, so we
        // only remember it and let the attempt fail; a later attempt may still succeed).
        return true;
      }
      if (!matchesQuery(query, decoded)) return false;
      response = decoded;
      replyBytes = reply;
      return true;
    };
    const started = performance.now();
    if (useTcp) {
      await tcpExchange(bytes, server, o.timeoutMs, accept, o.signal, o.tls);
    } else {
      await this.#udp.exchange(bytes, server, o.timeoutMs, accept, o.signal);
    }
    if (!response || !replyBytes) throw badReply ?? new DnsError("BAD_RESPONSE", "no usable reply");
    if (!useTcp && response.truncated && o.tcpOnTruncation) {
      o.log({ level: "debug", event: "dns.truncated", server: formatServerAddress(server) });
      response = undefined;
      replyBytes = undefined;
      badReply = undefined;
      const tcpStarted = performance.now();
      await tcpExchange(bytes, server, o.timeoutMs, accept, o.signal, o.tls);
      if (!response || !replyBytes)
        throw badReply ?? new DnsError("BAD_RESPONSE", "no usable reply");
      return {
        response,
        bytes: replyBytes,
        query,
        server,
        transport: "tcp",
        retriedOverTcp: true,
        elapsedMs: performance.now() - tcpStarted,
      };
    }
    return {
      response,
      bytes: replyBytes,
      query,
      server,
      transport: useTcp ? "tcp" : "udp",
      retriedOverTcp: false,
      elapsedMs: performance.now() - started,
    };
  }

  /**
   * Asks for `name`/`type` and interprets the reply: follows the CNAME chain inside the answer
   * (and asks again for the target when the chain leaves the answer), tells NXDOMAIN from NODATA,
   * and reports the negative TTL from the authority SOA (RFC 2308 §5: min(SOA TTL, SOA MINIMUM)).
   */
  async resolve<T extends number>(
    name: string,
    type: T,
    overrides: ResolverOptions = {},
  ): Promise<
    ResolveResult<
      Extract<TypedRecord, { type: T }> extends never
        ? ResourceRecord
        : Extract<TypedRecord, { type: T }>
    >
  > {
    const o = await this.#resolved(overrides);
    const asked = name.endsWith(".") ? name : `${name}.`;
    const exchanges: QueryResult[] = [];
    const cnames: CnameStep[] = [];
    const seen = new Set<string>([normalizeName(asked)]);
    let current = asked;
    for (;;) {
      const q = createQuery(current, type, {
        ednsUdpPayloadSize: o.ednsUdpPayloadSize,
        recursionDesired: o.recursionDesired,
      });
      const ex = await this.query(q, overrides);
      exchanges.push(ex);
      const r = ex.response;
      const step = interpretResponse(r, current, type, o.maxCnameHops, seen);
      cnames.push(...step.cnames);
      current = step.canonicalName;
      const soa = step.negative?.soa ?? r.authorities.find((a) => a.type === RecordType.SOA);
      const chainLeftAnswer =
        step.cnames.length > 0 &&
        step.records.length === 0 &&
        r.rcode === Rcode.NOERROR &&
        !soa &&
        exchanges.length <= o.maxCnameHops;
      if (chainLeftAnswer) continue;
      const result: ResolveResult = { ...step, name: asked, cnames, exchanges };
      return result as never;
    }
  }

  /** Closes the shared sockets (they also close by themselves whenever no query is pending). */
  close(): void {
    this.#udp.close();
  }
}

let shared: Resolver | undefined;

/** `new Resolver().query(message, {servers: [server]})` on a shared resolver. */
export function query(
  message: Message,
  server?: ServerAddress | string,
  options: ResolverOptions = {},
): Promise<QueryResult> {
  shared ??= new Resolver();
  return shared.query(message, server ? { ...options, servers: [server] } : options);
}

/** Resolves `name`/`type` with a shared resolver (servers from /etc/resolv.conf unless given). */
export function resolve<T extends number>(name: string, type: T, options: ResolverOptions = {}) {
  shared ??= new Resolver();
  return shared.resolve(name, type, options);
}
