// @netkit/dns: what a user needs, grouped by topic. The pure layers have their own subpaths with
// everything they hold: @netkit/dns/codec (messages, names, addresses, wire numbers, limits),
// @netkit/dns/presentation (zone-file / dig text) and @netkit/dns/zone (zone files without I/O).

// Messages and their main types (the rest of the codec: @netkit/dns/codec)
export { createQuery, decodeMessage, encodeMessage } from "./codec/message.ts";
export type { Message, Question, ResourceRecord } from "./codec/types.ts";
export {
  Opcode,
  Rcode,
  RecordClass,
  RecordType,
  type RecordTypeName,
  typeFromName,
  typeName,
} from "./constants.ts";
// Errors
export { DnsError, type DnsErrorCode } from "./errors.ts";
export {
  LOOKUP_DEFAULTS,
  LOOKUP_EXIT,
  type LookupOptions,
  reverseQueryName,
  runLookup,
} from "./lookup/run.ts";
export { type LookupNameOptions, lookupName } from "./names/client.ts";
export {
  NAME_SERVICE_DEFAULTS,
  type NameService,
  type NameServiceLimits,
  type NameServiceOptions,
  startNameService,
} from "./names/service.ts";
export {
  parseServerAddress,
  type ResolvConf,
  readResolvConf,
  type ServerAddress,
} from "./resolver/resolv-conf.ts";
// Clients: stub resolver (UDP, TCP on truncation, retries over servers), name service, dig-like lookup
export {
  type CnameStep,
  type QueryResult,
  query,
  RESOLVER_DEFAULTS,
  type ResolveResult,
  Resolver,
  type ResolverOptions,
  resolve,
} from "./resolver/resolver.ts";
// Zones the server answers from
export { ZoneSet } from "./server/answer.ts";
export type { ServerStats } from "./server/responder.ts";
// Servers: authoritative DNS over UDP+TCP (issue 4), with the seed's name service beside it
export {
  DNS_SERVER_DEFAULTS,
  type DnsServer,
  type DnsServerOptions,
  startDnsServer,
} from "./server/server.ts";
export {
  DNS_SERVICE_DEFAULTS,
  type DnsService,
  type DnsServiceOptions,
  startDnsService,
} from "./server/service.ts";
export { parseZoneFileSpec, type ZoneFileSpec, ZoneFiles } from "./zone/files.ts";
export { ZoneSyntaxError } from "./zone/lexer.ts";
export { type LoadZoneOptions, parseZone } from "./zone/load.ts";
export { loadZoneFile } from "./zone/load-file.ts";
export { Zone } from "./zone/zone.ts";
