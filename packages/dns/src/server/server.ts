// The authoritative server's transports: UDP and TCP on one port (RFC 1035 §4.2, RFC 7766), over Bun sockets.
import {
  type Connection,
  frames,
  type Log,
  listen,
  silentLog,
  type TlsCredentials,
} from "@netkit/framing";
import { DEFAULT_EDNS_UDP_BYTES, Rcode, RecordType, rcodeName, typeName } from "../constants.ts";
import type { Zone } from "../zone/zone.ts";
import { ZoneSet } from "./answer.ts";
import {
  emptyStats,
  type ParsedQuery,
  parseQuery,
  Responder,
  type ServerStats,
  slipResponse,
} from "./responder.ts";
import { RateLimiter, RrlAction } from "./rrl.ts";

/** Defaults of startDnsServer (the CLI's --help shows these). */
export const DNS_SERVER_DEFAULTS = {
  hostname: "127.0.0.1",
  /** An unprivileged stand-in for 53. */
  port: 10053,
  /** Largest UDP answer to an EDNS client (DNS Flag Day 2020). */
  maxUdpBytes: DEFAULT_EDNS_UDP_BYTES,
  /** RFC 7766 §6.2.3: close idle TCP connections; seconds, not minutes. */
  tcpIdleTimeoutMs: 10_000,
  /**
   * A query must arrive whole within this long of its first byte; no byte extends it (a slowloris
   * trickling 1 byte every 3 s is cut off). A query is one segment: 5 s still covers a lost
   * segment's retransmits (RTO 1 s, then 2 s), as nginx's client_header_timeout bounds a head.
   */
  tcpMessageTimeoutMs: 5_000,
  /**
   * Connections held open at once. 300 held cost ~10 MiB of RSS (test/attack.loopback), so 300
   * slow attackers (issue 12) no longer fill it; with the per-address cap it takes 64 addresses
   * to, and then only for `tcpMessageTimeoutMs`.
   */
  maxTcpConnections: 1024,
  /**
   * Connections from one address at once: RFC 7766 §6.2.2 asks clients for one connection per
   * server, so 16 leaves room for a resolver farm behind one NAT and stops one host filling the cap.
   */
  maxTcpConnectionsPerAddress: 16,
  /**
   * Queries answered on one TCP connection before it is closed; 0 = no limit, as NSD's
   * tcp-query-count defaults to. A quota cuts off a pipelining client with queries in flight (they
   * are lost and it must reconnect and resend: dnsperf -m tcp lost 1.5 % and ran at a fifth of its
   * rate with 1000); the idle timeout, the per-address cap and the message deadline already bound
   * what a connection can hold.
   */
  maxTcpQueriesPerConnection: 0,
  /** Answers queued for a TCP peer that doesn't read, before it is cut off. */
  maxTcpQueuedBytes: 1 << 20,
  /** Who may AXFR: addresses, or "any". */
  axfrAllow: ["127.0.0.1", "::1", "::ffff:127.0.0.1"] as readonly string[],
  /**
   * Response rate limiting, on as NSD ships it: UDP answers per second to one /24 (IPv6: /64).
   * A spoofed query turns us into an amplifier (an answer is up to 19× the query, 33× with EDNS);
   * 200/s is far above what one network's resolvers ask one authoritative server. 0 = off. TCP is
   * never limited: its source can't be spoofed.
   */
  rrlPerSecond: 200,
  /**
   * Over the rate, every `rrlSlip`-th answer goes out empty with TC, the rest are dropped (NSD's
   * rrl-slip 2): a real client behind a flooded network retries over TCP and gets its answer,
   * while the victim of spoofing gets half the packets, each no bigger than the query. 0 = drop all.
   */
  rrlSlip: 2,
  /**
   * Buckets in the RRL table (NSD's rrl-size): one per client network seen in the current second,
   * 21 bytes each, so 65,536 cost 1.3 MiB whatever the flood. A network beyond that takes over
   * another's bucket, which can only let answers through, never limit a network under the rate.
   */
  rrlBuckets: 65_536,
  /** DNS over TLS (RFC 7858): 853 in production; an unprivileged stand-in here. */
  tlsPort: 10853,
} as const;

/** Options of `startDnsServer`; each one left out takes its value from `DNS_SERVER_DEFAULTS`. */
export interface DnsServerOptions {
  zones: ZoneSet | Iterable<Zone>;
  /** @default "127.0.0.1" */
  hostname?: string;
  /** UDP and TCP; 0 picks a port free for both. @default 10053 */
  port?: number;
  /** @default 1232 */
  maxUdpBytes?: number;
  /** @default 10000 */
  tcpIdleTimeoutMs?: number;
  /** A TCP query must be complete this long after its first byte; 0 = no deadline. @default 5000 */
  tcpMessageTimeoutMs?: number;
  /** @default 1024 */
  maxTcpConnections?: number;
  /** 0 = no per-address cap. @default 16 */
  maxTcpConnectionsPerAddress?: number;
  /** 0 = no limit. @default 0 */
  maxTcpQueriesPerConnection?: number;
  /** @default 1 MiB */
  maxTcpQueuedBytes?: number;
  /** @default loopback only */
  axfrAllow?: readonly string[] | "any";
  /** UDP answers per second per /24 (IPv6 /64); 0 = off. @default 200 */
  rrlPerSecond?: number;
  /** Every N-th answer over the rate is sent empty with TC, the rest dropped; 0 = drop all. @default 2 */
  rrlSlip?: number;
  /** Size of the RRL table (memory ≈ 21 bytes each). @default 65536 */
  rrlBuckets?: number;
  /** Also serve DNS over TLS (RFC 7858) with this PEM certificate and key, on `tls.port` (10853). */
  tls?: TlsCredentials & { port?: number };
  log?: Log;
  /** Log one debug event per query (client, name, type, rcode, microseconds). @default false */
  logQueries?: boolean;
}

/** A running authoritative server, as `startDnsServer` resolves it. */
export interface DnsServer {
  readonly hostname: string;
  readonly port: number;
  /** The DNS-over-TLS port, when `tls` was given. */
  readonly tlsPort: number | undefined;
  /** Swaps the TLS certificate; established connections carry on. */
  reloadTls(credentials: TlsCredentials): void;
  /** The zones being served now. */
  readonly zones: ZoneSet;
  /** Swaps in new zones; queries in flight finish on the old ones, none are dropped. */
  reload(zones: ZoneSet | Iterable<Zone>): void;
  /** A copy of the counters. */
  stats(): ServerStats;
  /** Closes the UDP socket and every TCP connection, and waits for them. */
  stop(): Promise<void>;
}

function toZoneSet(zones: ZoneSet | Iterable<Zone>): ZoneSet {
  return zones instanceof ZoneSet ? zones : new ZoneSet(zones);
}

/** Starts the server on UDP and TCP at the same port; resolves once it listens. `stop()` waits for every connection to close. */
export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  const log = options.log ?? silentLog;
  const logQueries = options.logQueries ?? false;
  const hostname = options.hostname ?? DNS_SERVER_DEFAULTS.hostname;
  const maxUdpBytes = options.maxUdpBytes ?? DNS_SERVER_DEFAULTS.maxUdpBytes;
  const maxQueries =
    options.maxTcpQueriesPerConnection ?? DNS_SERVER_DEFAULTS.maxTcpQueriesPerConnection;
  const axfrAllow = options.axfrAllow ?? DNS_SERVER_DEFAULTS.axfrAllow;
  const rrlPerSecond = options.rrlPerSecond ?? DNS_SERVER_DEFAULTS.rrlPerSecond;
  if (!Number.isInteger(rrlPerSecond) || rrlPerSecond < 0)
    throw new RangeError(`bad rrlPerSecond: ${rrlPerSecond}`);
  const rrl =
    rrlPerSecond === 0
      ? null
      : new RateLimiter({
          perSecond: rrlPerSecond,
          slip: options.rrlSlip ?? DNS_SERVER_DEFAULTS.rrlSlip,
          buckets: options.rrlBuckets ?? DNS_SERVER_DEFAULTS.rrlBuckets,
        });
  const tcpMessageTimeoutMs =
    options.tcpMessageTimeoutMs ?? DNS_SERVER_DEFAULTS.tcpMessageTimeoutMs;
  if (!Number.isInteger(tcpMessageTimeoutMs) || tcpMessageTimeoutMs < 0)
    throw new RangeError(`bad tcpMessageTimeoutMs: ${tcpMessageTimeoutMs}`);
  let responder = new Responder(toZoneSet(options.zones), { maxUdpBytes });
  const stats = emptyStats();

  // Per-rcode counts by number on the hot path; named when stats() is read.
  const byRcode = new Array<number>(32).fill(0);
  const count = (rcode: number, transport: "udp" | "tcp") => {
    stats.queries++;
    stats.byTransport[transport]++;
    byRcode[rcode & 31]!++;
  };
  const logQuery = (
    client: string,
    p: ParsedQuery,
    rcode: number,
    transport: string,
    start: number,
  ) => {
    log({
      level: "debug",
      event: "query",
      client,
      transport,
      name: p.name || undefined,
      type: p.qtype ? typeName(p.qtype) : undefined,
      rcode: rcodeName(rcode),
      us: Math.round((performance.now() - start) * 1000),
    });
  };
  /** The rcode of a response we built (header bits plus the OPT's extended bits are not needed here). */
  const rcodeOf = (r: Uint8Array) => r[3]! & 0xf;

  const answered = new WeakMap<Connection<Uint8Array, Uint8Array | string>, number>();
  const answerTcp = (conn: Connection<Uint8Array, Uint8Array | string>, q: Uint8Array) => {
    if (conn.isClosed) return;
    let n = 0;
    if (maxQueries > 0) {
      n = (answered.get(conn) ?? 0) + 1;
      answered.set(conn, n);
      if (n > maxQueries) return; // closing: the quota is spent
    }
    const start = logQueries ? performance.now() : 0;
    const p = parseQuery(q);
    if (p === null || (p.flags & 0x8000) !== 0) {
      stats.dropped++;
      conn.destroy(); // no header, or a response: this peer isn't speaking DNS to us
      return;
    }
    let rcode: number;
    if (
      p.formErr === undefined &&
      p.opcode === 0 &&
      (p.qtype === RecordType.AXFR || p.qtype === RecordType.IXFR)
    ) {
      const allowed = axfrAllow === "any" || axfrAllow.includes(conn.remoteAddress);
      const messages = responder.transfer(q, p, true, allowed);
      for (const m of messages) conn.send(m);
      rcode = rcodeOf(messages[0]!);
      if (rcode === Rcode.NOERROR) {
        stats.axfr++;
        log({ event: "axfr", client: conn.remoteAddress, zone: p.name, messages: messages.length });
      }
    } else {
      const r = responder.respond(q, p, true);
      conn.send(r);
      rcode =
        rcodeOf(r) |
        (p.edns && p.edns.version !== 0 && p.formErr === undefined ? Rcode.BADVERS : 0);
    }
    count(rcode, "tcp");
    if (logQueries) logQuery(`${conn.remoteAddress}:${conn.remotePort}`, p, rcode, "tcp", start);
    if (maxQueries > 0 && n >= maxQueries) conn.close();
  };

  // UDP answers are built here: Bun's send copies the bytes before returning.
  const udpScratch = new Uint8Array(65535 + 11);
  const requestedPort = options.port ?? DNS_SERVER_DEFAULTS.port;
  const startTcp = () =>
    listen<Uint8Array, Uint8Array | string>({
      hostname,
      port: requestedPort,
      // RFC 1035 §4.2.2 / RFC 7766: a 2-byte length before each message.
      protocol: frames({ prefixBytes: 2, maxFrameBytes: 65535 }),
      maxConnections: options.maxTcpConnections ?? DNS_SERVER_DEFAULTS.maxTcpConnections,
      maxConnectionsPerAddress:
        options.maxTcpConnectionsPerAddress ?? DNS_SERVER_DEFAULTS.maxTcpConnectionsPerAddress,
      idleTimeoutMs: options.tcpIdleTimeoutMs ?? DNS_SERVER_DEFAULTS.tcpIdleTimeoutMs,
      messageTimeoutMs: tcpMessageTimeoutMs,
      maxQueuedBytes: options.maxTcpQueuedBytes ?? DNS_SERVER_DEFAULTS.maxTcpQueuedBytes,
      tls: options.tls && { ...options.tls, port: options.tls.port ?? DNS_SERVER_DEFAULTS.tlsPort },
      log,
      onConnection() {},
      onMessage: answerTcp,
    });

  const startUdp = (port: number) =>
    Bun.udpSocket({
      hostname,
      port,
      socket: {
        data(sock, buf, port, address) {
          const start = logQueries ? performance.now() : 0;
          const p = parseQuery(buf);
          if (p === null || (p.flags & 0x8000) !== 0) {
            stats.dropped++; // replying to garbage or to responses only amplifies attacks
            return;
          }
          // Counted before the answer is built, so a dropped one costs no work.
          const action = rrl === null ? RrlAction.ANSWER : rrl.check(address, Date.now() / 1000);
          if (action === RrlAction.DROP) {
            stats.rateLimited++;
            return;
          }
          let r: Uint8Array;
          if (
            p.formErr === undefined &&
            p.opcode === 0 &&
            (p.qtype === RecordType.AXFR || p.qtype === RecordType.IXFR)
          ) {
            const allowed = axfrAllow === "any" || axfrAllow.includes(address);
            r = responder.transfer(buf, p, false, allowed)[0]!;
          } else {
            r = responder.respond(buf, p, false, udpScratch);
          }
          if (action === RrlAction.SLIP) {
            stats.rateLimited++;
            stats.slipped++;
            r = slipResponse(r, p);
          }
          if ((r[2]! & 0x02) !== 0) stats.truncated++;
          sock.send(r, port, address);
          const rcode =
            (r[3]! & 0xf) |
            (p.edns && p.edns.version !== 0 && p.formErr === undefined ? Rcode.BADVERS : 0);
          count(rcode, "udp");
          if (logQueries) logQuery(`${address}:${port}`, p, rcode, "udp", start);
        },
        error(error: unknown) {
          log({ level: "warn", event: "udp.error", error: String(error) });
        },
      },
    });

  // One port for both: with port 0 the TCP port the OS picked may be taken for UDP; try again.
  let tcp = startTcp();
  let udp: { close(): void } | undefined;
  for (let attempt = 1; udp === undefined; attempt++) {
    try {
      udp = await startUdp(tcp.port);
    } catch (error) {
      await tcp.stop(true);
      if (requestedPort !== 0 || attempt >= 5) throw error;
      tcp = startTcp();
    }
  }
  const udpSocket = udp;
  log({
    event: "dns.listening",
    hostname,
    port: tcp.port,
    tlsPort: tcp.tlsPort,
    zones: [...responder.zones].map((z) => z.origin),
  });

  return {
    hostname,
    port: tcp.port,
    tlsPort: tcp.tlsPort,
    reloadTls: (credentials) => tcp.reloadTls(credentials),
    get zones() {
      return responder.zones;
    },
    reload(zones) {
      responder = new Responder(toZoneSet(zones), { maxUdpBytes });
    },
    stats() {
      const copy = structuredClone(stats);
      byRcode.forEach((n, rcode) => {
        if (n > 0) copy.byRcode[rcodeName(rcode)] = n;
      });
      return copy;
    },
    async stop() {
      udpSocket.close();
      await tcp.stop(true);
    },
  };
}
