// `dns serve` as a library call: the authoritative server plus the name service, over zone files or the default zone.
import { silentLog } from "@netkit/framing";
import { type NameService, type NameServiceLimits, startNameService } from "../names/service.ts";
import { type ZoneFileSpec, ZoneFiles } from "../zone/files.ts";
import { defaultZone } from "../zone/load.ts";
import { ZoneSet, zoneLookup } from "./answer.ts";
import type { ServerStats } from "./responder.ts";
import {
  DNS_SERVER_DEFAULTS,
  type DnsServer,
  type DnsServerOptions,
  startDnsServer,
} from "./server.ts";

/** What `startDnsService` uses for an option left out: the server's defaults plus the name service's port and the zone file. */
export const DNS_SERVICE_DEFAULTS = {
  ...DNS_SERVER_DEFAULTS,
  /** The name service's port; 0 turns it off. */
  namesPort: 10334,
  /** How often zone files are checked for changes. */
  watchIntervalMs: 500,
} as const;

/** Options of `startDnsService`; each one left out takes its value from `DNS_SERVICE_DEFAULTS`. */
export interface DnsServiceOptions extends Omit<DnsServerOptions, "zones"> {
  /** Zone files; none serves the embedded default zone `netkit.test.`. */
  zoneFiles?: readonly ZoneFileSpec[];
  /** @default 10334; 0: no name service */
  namesPort?: number;
  /** The name service's limits (defaults: NAME_SERVICE_DEFAULTS). */
  names?: NameServiceLimits;
  /** Reload zone files when they change. @default true */
  watch?: boolean;
  /** @default 500 */
  watchIntervalMs?: number;
}

/** What `startDnsService` runs: the DNS server and, unless turned off, the name service beside it. */
export interface DnsService {
  readonly dns: DnsServer;
  /** The name service, unless disabled. */
  readonly names: NameService | null;
  /** Re-reads the zone files (SIGHUP); a file that fails keeps its last good zone. */
  reloadZones(): void;
  stats(): ServerStats;
  /** Stops both servers and waits for their connections to close. */
  stop(): Promise<void>;
}

/**
 * Starts the authoritative server (UDP+TCP) and the name service. Zone files that don't parse
 * refuse the start with a ZoneSyntaxError (file:line:column).
 */
export async function startDnsService(options: DnsServiceOptions = {}): Promise<DnsService> {
  const log = options.log ?? silentLog;
  const files =
    options.zoneFiles && options.zoneFiles.length > 0
      ? new ZoneFiles(options.zoneFiles, log)
      : null;
  const zones = files ? files.load() : new ZoneSet([defaultZone()]);
  const dns = await startDnsServer({ ...options, zones, log });
  const namesPort = options.namesPort ?? DNS_SERVICE_DEFAULTS.namesPort;
  let names: NameService | null = null;
  try {
    if (namesPort !== 0) {
      names = await startNameService({
        hostname: options.hostname ?? DNS_SERVICE_DEFAULTS.hostname,
        port: namesPort,
        ...options.names,
        lookup: zoneLookup(() => dns.zones),
        log,
      });
    }
  } catch (error) {
    await dns.stop();
    throw error;
  }
  const reloadZones = () => {
    if (!files) return;
    dns.reload(files.reload());
  };
  if (files && (options.watch ?? true))
    files.watch(reloadZones, options.watchIntervalMs ?? DNS_SERVICE_DEFAULTS.watchIntervalMs);
  return {
    dns,
    names,
    reloadZones,
    stats: () => dns.stats(),
    async stop() {
      files?.unwatch();
      await names?.stop();
      await dns.stop();
    },
  };
}
