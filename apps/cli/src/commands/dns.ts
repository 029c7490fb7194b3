// `dns serve`: the authoritative DNS server (UDP+TCP) and the "DNS Server 1.0" name service.
import {
  DNS_SERVICE_DEFAULTS,
  type DnsService,
  parseZoneFileSpec,
  type ServerStats,
  startDnsService,
} from "@netkit/dns";
import {
  type Command,
  parseCount,
  parseFlags,
  parseLogLevel,
  parsePort,
  SERVER_FLAGS,
  SERVER_FLAGS_USAGE,
  stderrLog,
  UsageError,
  waitForStopSignal,
} from "../cli-kit.ts";

const D = DNS_SERVICE_DEFAULTS;

const serveUsage = `Usage: bun run apps/cli dns serve [--zone [ORIGIN=]FILE]... [--host HOST] [--port PORT]
                                  [--names-port PORT] [options...]

Serves zones from RFC 1035 master files as an authoritative server over UDP and TCP on one
port (dig @127.0.0.1 -p ${D.port} bbs.netkit.test), plus the seed's "DNS Server 1.0" name service
(length-prefixed frames: a name in, its IPv4 address or "unknown domain" out). Without --zone it
serves the embedded zone netkit.test. (bbs, chat, web, dns -> 127.0.0.1). Zone files are reloaded
on SIGHUP and when they change; SIGUSR1 prints the counters.

Options:
  --zone [ORIGIN=]FILE  a zone file (repeatable); ORIGIN defaults to the file's SOA owner
${SERVER_FLAGS_USAGE.replace("(0: any free port)", `(UDP and TCP; default ${D.port}; 0: any free port)`)}
  --names-port PORT     name service port, 0 = off (default ${D.namesPort})
  --max-udp-size N      largest UDP answer to EDNS clients (default ${D.maxUdpBytes})
  --rrl N               UDP answers per second per /24, 0 = off (default ${D.rrlPerSecond})
  --axfr-allow LIST     comma-separated addresses allowed to AXFR, or "any"
                        (default ${D.axfrAllow.join(",")})
  --tcp-idle-timeout-ms MS   close idle TCP connections (default ${D.tcpIdleTimeoutMs})
  --max-tcp-connections N    (default ${D.maxTcpConnections})
  --no-watch            don't reload zone files when they change
  --print-port          print the bound port on stdout once listening
With --log-level debug every query is logged (client, name, type, rcode, microseconds).`;

const usage = `Usage: bun run apps/cli dns serve [options]   (see: dns serve --help)

Subcommands:
  serve    the authoritative DNS server and the name service`;

function formatStats(s: ServerStats): string {
  const rcodes = Object.entries(s.byRcode)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  return `queries=${s.queries} udp=${s.byTransport.udp} tcp=${s.byTransport.tcp} ${rcodes} truncated=${s.truncated} axfr=${s.axfr} dropped=${s.dropped} rate_limited=${s.rateLimited}`;
}

async function serve(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    {
      ...SERVER_FLAGS,
      zone: { type: "string", multiple: true },
      "names-port": { type: "string" },
      "max-udp-size": { type: "string" },
      rrl: { type: "string" },
      "axfr-allow": { type: "string" },
      "tcp-idle-timeout-ms": { type: "string" },
      "max-tcp-connections": { type: "string" },
      "no-watch": { type: "boolean" },
      "print-port": { type: "boolean" },
    },
    serveUsage,
  );
  if (values.help) {
    console.log(serveUsage);
    return 0;
  }
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument ${positionals[0]}`, serveUsage);
  const level = parseLogLevel(values["log-level"], serveUsage);
  const log = stderrLog(level, "dns ");
  const maxUdpBytes = parseCount("max-udp-size", values["max-udp-size"], D.maxUdpBytes, serveUsage);
  if (maxUdpBytes < 512 || maxUdpBytes > 65535)
    throw new UsageError("--max-udp-size must be 512..65535", serveUsage);
  const allow = values["axfr-allow"];
  let service: DnsService;
  try {
    service = await startDnsService({
      hostname: values.host ?? D.hostname,
      port: parsePort(values.port, D.port, serveUsage),
      namesPort: parsePort(values["names-port"], D.namesPort, serveUsage),
      zoneFiles: (values.zone ?? []).map(parseZoneFileSpec),
      maxUdpBytes,
      rrlPerSecond: parseCount("rrl", values.rrl, D.rrlPerSecond, serveUsage),
      axfrAllow:
        allow === undefined
          ? undefined
          : allow === "any"
            ? "any"
            : allow.split(",").map((a) => a.trim()),
      tcpIdleTimeoutMs: parseCount(
        "tcp-idle-timeout-ms",
        values["tcp-idle-timeout-ms"],
        D.tcpIdleTimeoutMs,
        serveUsage,
      ),
      maxTcpConnections: parseCount(
        "max-tcp-connections",
        values["max-tcp-connections"],
        D.maxTcpConnections,
        serveUsage,
      ),
      watch: !values["no-watch"],
      log,
      logQueries: level === "debug",
    });
  } catch (error) {
    console.error(`dns serve: ${(error as Error).message}`);
    return 1;
  }
  if (values["print-port"]) console.log(service.dns.port);
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
