// What `up` starts: one entry per service, each a thin call into its package on its default port.
import { join } from "node:path";
import { BBS_DEFAULTS, startBbsServer } from "@netkit/bbs";
import { CHAT_DEFAULTS, ECHO_DEFAULTS, serveChat, serveEcho } from "@netkit/chat";
import { startDnsService } from "@netkit/dns";
import type { Log } from "@netkit/framing";
import { HTTPCHAT_DEFAULTS, startChatServer } from "@netkit/httpchat";

/** One socket a running service listens on, for the table `up` prints. */
export interface Listening {
  service: string;
  protocol: "tcp" | "udp";
  host: string;
  port: number;
}

export interface RunningService {
  listening: Listening[];
  /** Stops accepting, closes peers, flushes storage. */
  stop(): Promise<void>;
}

export interface ServiceContext {
  host: string;
  log: Log;
  /** Folder for embedded storage (SQLite files), e.g. `./data`. */
  dataDir: string;
}

export interface ServiceEntry {
  name: string;
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
    async start({ host, log }) {
      const service = await startDnsService({ hostname: host, log });
      const { hostname, port } = service.dns;
      const listening: Listening[] = [
        { service: "dns", protocol: "udp", host: hostname, port },
        { service: "dns", protocol: "tcp", host: hostname, port },
      ];
      if (service.names) {
        listening.push({
          service: "dns-names",
          protocol: "tcp",
          host: hostname,
          port: service.names.port,
        });
      }
      return { listening, stop: () => service.stop() };
    },
  },
  {
    name: "echo",
    async start({ host, log }) {
      const server = serveEcho({ hostname: host, port: ECHO_DEFAULTS.port, log });
      return {
        listening: [{ service: "echo", protocol: "tcp", host: server.hostname, port: server.port }],
        stop: () => server.stop(),
      };
    },
  },
  {
    name: "chat",
    async start({ host, log }) {
      const server = serveChat({ hostname: host, port: CHAT_DEFAULTS.port, log });
      return {
        listening: [{ service: "chat", protocol: "tcp", host: server.hostname, port: server.port }],
        stop: () => server.stop(),
      };
    },
  },
  {
    name: "bbs",
    async start({ host, log, dataDir }) {
      const server = await startBbsServer({
        hostname: host,
        port: BBS_DEFAULTS.port,
        dbPath: join(dataDir, "bbs.sqlite"),
        log,
      });
      return {
        listening: [{ service: "bbs", protocol: "tcp", host: server.hostname, port: server.port }],
        stop: () => server.stop(),
      };
    },
  },
  {
    name: "httpchat",
    async start({ host, log, dataDir }) {
      const server = startChatServer({
        hostname: host,
        port: HTTPCHAT_DEFAULTS.port,
        dbPath: join(dataDir, "httpchat.sqlite"),
        log,
      });
      return {
        listening: [
          { service: "httpchat", protocol: "tcp", host: server.hostname, port: server.port },
        ],
        stop: () => server.stop(),
      };
    },
  },
];
