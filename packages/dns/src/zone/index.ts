// @netkit/dns/zone: the master-file parser (RFC 1035 §5) and the checked Zone it builds, pure (no
// file system, nothing from Bun); reading files from disk is loadZoneFile in @netkit/dns.
export { ZoneSyntaxError } from "./lexer.ts";
export { DEFAULT_ZONE_TEXT, defaultZone, type LoadZoneOptions, parseZone } from "./load.ts";
export { buildZone, type RecordSource, Zone } from "./zone.ts";
