// `dns serve`: the authoritative DNS server (UDP+TCP) and the "DNS Server 1.0" name service.
import {
  DNS_SERVER_DEFAULTS,
  DNS_SERVICE_DEFAULTS,
  type DnsService,
  NAME_SERVICE_DEFAULTS,
  parseZoneFileSpec,
  type ServerStats,
  startDnsService,
} from "@netkit/dns";
import {
  type Command,
  keepTlsFresh,
  parsePort,
  parseServerFlags,
  parseServerTls,
  serverFlagsUsage,
  TLS_FLAGS,
  tlsFlagsUsage,
  UsageError,
  waitForStopSignal,
} from "../cli-kit.ts";

const D = DNS_SERVICE_DEFAULTS;
const N = NAME_SERVICE_DEFAULTS;

const serveUsage = `Usage: bun run apps/cli dns serve [--zone [ORIGIN=]FILE]... [--host HOST] [--port PORT]
                                  [--names-port PORT] [options...]

Serves zones from RFC 1035 master files as an authoritative server over UDP and TCP on one
port (dig @127.0.0.1 -p ${D.port} bbs.netkit.test), plus the seed's "DNS Server 1.0" name service
(length-prefixed frames: a name in, its IPv4 address or "unknown domain" out). Without --zone it
serves the embedded zone netkit.test. (bbs, chat, web, dns -> 127.0.0.1). Zone files are reloaded
on SIGHUP and when they change; SIGUSR1 prints the counters.

Options:
  --zone [ORIGIN=]FILE  a zone file (repeatable); ORIGIN defaults to the file's SOA owner
${serverFlagsUsage(D.port, "UDP and TCP; ", 24)}
  --names-port PORT     name service port, 0 = off (default ${D.namesPort})
  --max-udp-size N      largest UDP answer to EDNS clients (default ${D.maxUdpBytes})
  --rrl N               response rate limiting: UDP answers per second to one /24 (IPv6
                        /64), 0 = off (default ${D.rrlPerSecond}, as NSD ships it: a spoofed query makes
                        an answer up to 33x its size land on the victim; TCP is never limited)
  --rrl-slip N          over the rate, every Nth answer is sent empty with TC so a real
                        client retries over TCP, the rest dropped; 0 = drop all (default ${D.rrlSlip})
  --rrl-size N          networks tracked at once, ~21 bytes each (default ${D.rrlBuckets})
  --axfr-allow LIST     comma-separated addresses allowed to AXFR, or "any"
                        (default ${D.axfrAllow.join(",")})
  --no-watch            don't reload zone files when they change
${tlsFlagsUsage(DNS_SERVER_DEFAULTS.tlsPort, 24)}
                        (DNS over TLS, RFC 7858: kdig +tls; 853 in production)

TCP defences (DNS over TCP and TLS; a peer cut off by one is logged at warn):
  --tcp-idle-timeout-ms MS       close peers silent this long (default ${D.tcpIdleTimeoutMs}:
                                 RFC 7766 §6.2.3 asks for seconds, not minutes)
  --tcp-message-timeout-ms MS    a query must be whole this long after its first byte; no byte
                                 extends it, 0 = off (default ${D.tcpMessageTimeoutMs}: one segment
                                 plus its retransmits)
  --max-tcp-connections N        open at once (default ${D.maxTcpConnections})
  --max-tcp-per-address N        from one IP address, 0 = no cap (default
                                 ${D.maxTcpConnectionsPerAddress}: RFC 7766 §6.2.2 asks clients for one)
Name service defences:
  --names-idle-timeout-ms MS     close clients silent this long, 0 = never (default
                                 ${N.idleTimeoutMs}: a client asks right after the banner)
  --names-message-timeout-ms MS  a frame must be whole this long after its first byte, 0 = off
                                 (default ${N.messageTimeoutMs}: one segment plus its retransmits)
  --names-max-connections N      open at once (default ${N.maxConnections})
  --names-max-per-address N      from one IP address, 0 = no cap (default
                                 ${N.maxConnectionsPerAddress}: one lookup at a time per client)

With --log-level debug every query is logged (client, name, type, rcode, microseconds).`;

const usage = `Usage: bun run apps/cli dns serve [options]   (see: dns serve --help)

Subcommands:
  serve    the authoritative DNS server and the name service`;

function formatStats(s: ServerStats): string {
  const rcodes = Object.entries(s.byRcode)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  return `queries=${s.queries} udp=${s.byTransport.udp} tcp=${s.byTransport.tcp} ${rcodes} truncated=${s.truncated} axfr=${s.axfr} dropped=${s.dropped} rate_limited=${s.rateLimited} slipped=${s.slipped}`;
}

async function serve(args: string[]): Promise<number> {
  const flags = parseServerFlags(
    args,
    {
      zone: { type: "string", multiple: true },
      "names-port": { type: "string" },
      "max-udp-size": { type: "string" },
      rrl: { type: "string" },
      "rrl-slip": { type: "string" },
      "rrl-size": { type: "string" },
      "axfr-allow": { type: "string" },
      "tcp-idle-timeout-ms": { type: "string" },
      "tcp-message-timeout-ms": { type: "string" },
      "max-tcp-connections": { type: "string" },
      "max-tcp-per-address": { type: "string" },
      "names-idle-timeout-ms": { type: "string" },
      "names-message-timeout-ms": { type: "string" },
      "names-max-connections": { type: "string" },
      "names-max-per-address": { type: "string" },
      "no-watch": { type: "boolean" },
      ...TLS_FLAGS,
    },
    serveUsage,
    D,
    "dns ",
  );
  if (flags === undefined) return 0;
  const { values, count, log } = flags;
  const maxUdpBytes = count("max-udp-size", D.maxUdpBytes);
  if (maxUdpBytes < 512 || maxUdpBytes > 65535)
    throw new UsageError("--max-udp-size must be 512..65535", serveUsage);
  const allow = values["axfr-allow"];
  let tls: Awaited<ReturnType<typeof parseServerTls>>;
  try {
    tls = await parseServerTls(values, DNS_SERVER_DEFAULTS.tlsPort, serveUsage);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    console.error(`dns serve: ${(error as Error).message}`);
    return 1;
  }
  let service: DnsService;
  try {
    service = await startDnsService({
      hostname: flags.hostname,
      port: flags.port,
      namesPort: parsePort(values["names-port"], D.namesPort, serveUsage),
      zoneFiles: (values.zone ?? []).map(parseZoneFileSpec),
      maxUdpBytes,
      rrlPerSecond: count("rrl", D.rrlPerSecond),
      rrlSlip: count("rrl-slip", D.rrlSlip),
      rrlBuckets: count("rrl-size", D.rrlBuckets),
      axfrAllow:
        allow === undefined
          ? undefined
          : allow === "any"
            ? "any"
            : allow.split(",").map((a) => a.trim()),
      tcpIdleTimeoutMs: count("tcp-idle-timeout-ms", D.tcpIdleTimeoutMs),
      tcpMessageTimeoutMs: count("tcp-message-timeout-ms", D.tcpMessageTimeoutMs),
      maxTcpConnections: count("max-tcp-connections", D.maxTcpConnections),
      maxTcpConnectionsPerAddress: count("max-tcp-per-address", D.maxTcpConnectionsPerAddress),
      names: {
        idleTimeoutMs: count("names-idle-timeout-ms", N.idleTimeoutMs),
        messageTimeoutMs: count("names-message-timeout-ms", N.messageTimeoutMs),
        maxConnections: count("names-max-connections", N.maxConnections),
        maxConnectionsPerAddress: count("names-max-per-address", N.maxConnectionsPerAddress),
      },
      watch: !values["no-watch"],
      log,
      logQueries: flags.logLevel === "debug",
      tls,
    });
  } catch (error) {
    console.error(`dns serve: ${(error as Error).message}`);
    return 1;
  }
  if (flags.printPort) console.log(service.dns.port);
  if (flags.printPort && service.dns.tlsPort !== undefined) console.log(service.dns.tlsPort);
  if (tls) keepTlsFresh(tls, (c) => service.dns.reloadTls(c), log);
  const onHup = () => {
    log({ event: "zone.reload", reason: "SIGHUP" });
    service.reloadZones();
  };
  const onUsr1 = () => process.stderr.write(`dns stats ${formatStats(service.stats())}\n`);
  process.on("SIGHUP", onHup);
  process.on("SIGUSR1", onUsr1);
  const signal = await waitForStopSignal();
  log({ event: "stopping", signal });
  process.off("SIGHUP", onHup);
  process.off("SIGUSR1", onUsr1);
  await service.stop();
  log({ event: "stopped", ...service.stats().byTransport, queries: service.stats().queries });
  return 0;
}

export const dns: Command = {
  summary: "authoritative DNS server over zone files, and the DNS Server 1.0 name service",
  usage,
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === "serve") return serve(rest);
    if (sub === undefined || sub === "--help" || sub === "-h") {
      console.log(usage);
      return sub === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown dns subcommand ${sub}`, usage);
  },
};
