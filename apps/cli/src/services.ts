// What `up` starts: one entry per service, each a thin call into its package on its default port.
import { join } from "node:path";
import { BBS_DEFAULTS, startBbsServer } from "@netkit/bbs";
import { CHAT_DEFAULTS, ECHO_DEFAULTS, startChatServer, startEchoServer } from "@netkit/chat";
import { DNS_SERVICE_DEFAULTS, startDnsService } from "@netkit/dns";
import type { Log, TlsCredentials } from "@netkit/framing";
import { HTTPCHAT_DEFAULTS, startWebChatServer } from "@netkit/httpchat";

/** One socket a running service listens on, for the table `up` prints. */
export interface Listening {
  service: string;
  protocol: "tcp" | "udp" | "tls";
  host: string;
  port: number;
}

export interface RunningService {
  listening: Listening[];
  /** Swaps the TLS certificate of its TLS listeners without dropping anyone (`up --tls`). */
  reloadTls?(credentials: TlsCredentials): void;
  /** Stops accepting, closes peers, flushes storage. */
  stop(): Promise<void>;
}

export interface ServiceContext {
  host: string;
  /** Logger for this service (or, when scaled, for this instance). */
  log: Log;
  /** Folder for embedded storage (SQLite files), e.g. `./data`. */
  dataDir: string;
  /** Shared bus for scaled services (chat, httpchat, bbs). */
  redisUrl?: string;
  /** Shared store for bbs and httpchat instead of SQLite. */
  postgresUrl?: string;
  /** Where this instance listens: the default port, or the next free one for instance 2, 3… */
  port: number;
  /** 0 for the first instance, 1 for the second… (TLS ports are offset by it). */
  instance: number;
  /** `up --tls`: also serve TLS with this certificate, on the service's default TLS port. */
  tls?: TlsCredentials;
}

/** The rows of a server that may have a TLS port beside its plain one. */
function tcpRows(
  service: string,
  server: { hostname: string; port: number; tlsPort?: number | undefined },
): Listening[] {
  const rows: Listening[] = [
    { service, protocol: "tcp", host: server.hostname, port: server.port },
  ];
  if (server.tlsPort !== undefined) {
    rows.push({ service, protocol: "tls", host: server.hostname, port: server.tlsPort });
  }
  return rows;
}

export interface ServiceEntry {
  name: string;
  /** Whether `up --instances N` starts N of it on consecutive ports (else one). */
  scalable: boolean;
  /** The ports it takes on its own (the first is where instance 1 listens). */
  defaultPorts: number[];
  start(context: ServiceContext): Promise<RunningService>;
}

/**
 * Every service `up` starts, in start order. A package adds itself here with one entry that
 * calls its exported start function with its embedded defaults.
 */
export const services: ServiceEntry[] = [
  {
    // DNS first: the BBS client asks the name service for its server's address.
    name: "dns",
    scalable: false,
    defaultPorts: [DNS_SERVICE_DEFAULTS.port, DNS_SERVICE_DEFAULTS.namesPort],
    async start({ host, log, port, tls }) {
      const service = await startDnsService({ hostname: host, port, tls, log });
      const { hostname } = service.dns;
      const listening: Listening[] = [
        { service: "dns", protocol: "udp", host: hostname, port: service.dns.port },
        { service: "dns", protocol: "tcp", host: hostname, port: service.dns.port },
      ];
      if (service.dns.tlsPort !== undefined) {
        listening.push({
          service: "dns",
          protocol: "tls",
          host: hostname,
          port: service.dns.tlsPort,
        });
      }
      if (service.names) {
        listening.push({
          service: "dns-names",
          protocol: "tcp",
          host: hostname,
          port: service.names.port,
        });
      }
      return {
        listening,
        reloadTls: (credentials) => service.dns.reloadTls(credentials),
        stop: () => service.stop(),
      };
    },
  },
  {
    name: "echo",
    scalable: false,
    defaultPorts: [ECHO_DEFAULTS.port],
    async start({ host, log, port, tls }) {
      // The seed's echo service capitalizes (Exercise 1.1); `echo` without --upper does not.
      const server = await startEchoServer({ hostname: host, port, upper: true, tls, log });
      return {
        listening: tcpRows("echo", server),
        reloadTls: (credentials) => server.reloadTls(credentials),
        stop: () => server.stop(),
      };
    },
  },
  {
    name: "chat",
    scalable: true,
    defaultPorts: [CHAT_DEFAULTS.port],
    async start({ host, log, redisUrl, port, instance, tls }) {
      const server = await startChatServer({
        hostname: host,
        port,
        redis: redisUrl,
        tls: tls && { ...tls, port: CHAT_DEFAULTS.tlsPort + instance },
        log,
      });
      return {
        listening: tcpRows("chat", server),
        reloadTls: (credentials) => server.reloadTls(credentials),
        stop: () => server.stop(),
      };
    },
  },
  {
    name: "bbs",
    scalable: true,
    defaultPorts: [BBS_DEFAULTS.port],
    async start({ host, log, dataDir, redisUrl, postgresUrl, port, instance, tls }) {
      // Without PostgreSQL, instances share one SQLite file (WAL allows it within one machine).
      const server = await startBbsServer({
        hostname: host,
        port,
        dbPath: join(dataDir, "bbs.sqlite"),
        postgresUrl,
        redisUrl,
        tls: tls && { ...tls, port: BBS_DEFAULTS.tlsPort + instance },
        log,
      });
      return {
        listening: tcpRows("bbs", server),
        reloadTls: (credentials) => server.reloadTls(credentials),
        stop: () => server.stop(),
      };
    },
  },
  {
    name: "httpchat",
    scalable: true,
    defaultPorts: [HTTPCHAT_DEFAULTS.port],
    async start({ host, log, dataDir, redisUrl, postgresUrl, port, instance, tls }) {
      const server = await startWebChatServer({
        hostname: host,
        port,
        dbPath: join(dataDir, "httpchat.sqlite"),
        postgresUrl,
        // The web chat's bus announces rows of a shared PostgreSQL store; without one it is off.
        redisUrl: postgresUrl ? redisUrl : undefined,
        tls: tls && { ...tls, port: HTTPCHAT_DEFAULTS.tlsPort + instance },
        log,
      });
      return {
        listening: tcpRows("httpchat", server),
        reloadTls: (credentials) => server.reloadTls(credentials),
        stop: () => server.stop(),
      };
    },
  },
];

/**
 * The port of each instance: instance 1 on the service's default port, the others on the next
 * ports up, skipping ports that another service takes by default (BBS 10333 + 1 is the name service).
 */
export function instancePorts(entry: ServiceEntry, count: number): number[] {
  const reserved = new Set(services.flatMap((s) => s.defaultPorts));
  const first = entry.defaultPorts[0]!;
  const ports = [first];
  for (let port = first + 1; ports.length < count; port++) {
    if (!reserved.has(port)) ports.push(port);
  }
  return ports;
}
