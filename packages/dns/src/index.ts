// @netkit/dns public surface: named exports grouped by topic.

export {
  formatIPv4,
  formatIPv6,
  isIPv4,
  isIPv6,
  parseIPv4,
  parseIPv6,
  reverseName,
} from "./codec/address.ts";
// codec: messages
export {
  createQuery,
  createResponse,
  decodeMessage,
  type EncodeOptions,
  encodeMessage,
  isRecordType,
  type QueryOptions,
  randomId,
} from "./codec/message.ts";
// codec: names and addresses
export {
  absoluteName,
  compareNames,
  isAbsolute,
  isSubdomain,
  labelCount,
  labelsToName,
  namesEqual,
  nameToLabels,
  normalizeName,
} from "./codec/name.ts";
// codec: types
export type {
  AaaaData,
  AData,
  CaaData,
  Edns,
  EdnsOption,
  Message,
  MxData,
  OptData,
  Question,
  RecordDataMap,
  ResourceRecord,
  SoaData,
  SrvData,
  TargetData,
  TxtData,
  TypedRecord,
  TypedRecordName,
  UnknownRecord,
} from "./codec/types.ts";
// wire numbers and limits
export {
  CLASSIC_UDP_BYTES,
  classFromName,
  className,
  DEFAULT_EDNS_UDP_BYTES,
  HEADER_BYTES,
  type KnownRecordType,
  MAX_CHARACTER_STRING_BYTES,
  MAX_COMPRESSION_POINTERS,
  MAX_LABEL_BYTES,
  MAX_MESSAGE_BYTES,
  MAX_NAME_BYTES,
  Opcode,
  type OpcodeName,
  opcodeName,
  Rcode,
  type RcodeName,
  RecordClass,
  type RecordClassName,
  RecordType,
  type RecordTypeName,
  rcodeName,
  typeFromName,
  typeName,
} from "./constants.ts";
// errors
export { DnsError, type DnsErrorCode } from "./errors.ts";
// the lookup tool (dig-like output)
export {
  explainAnswer,
  formatDigText,
  formatFlags,
  formatShort,
  toLookupJson,
} from "./lookup/format.ts";
export {
  LOOKUP_DEFAULTS,
  LOOKUP_EXIT,
  type LookupOptions,
  reverseQueryName,
  runLookup,
} from "./lookup/run.ts";
// name service, the seed's "DNS Server 1.0" (issue 4)
export { type LookupNameOptions, lookupName } from "./names/client.ts";
export {
  NAME_SERVICE_DEFAULTS,
  type NameService,
  type NameServiceLimits,
  type NameServiceOptions,
  startNameService,
} from "./names/service.ts";
// presentation (zone-file / dig text)
export {
  formatCharacterString,
  formatGenericRdata,
  formatQuestion,
  formatRdata,
  formatRecord,
  toHex,
} from "./presentation/format.ts";
export {
  parseRdata,
  parseRecord,
  parseTtl,
  type RdataField,
  type RdataToken,
  tokenizePresentation,
  unescapeString,
} from "./presentation/parse.ts";
export {
  formatServerAddress,
  parseResolvConf,
  parseServerAddress,
  type ResolvConf,
  readResolvConf,
  type ServerAddress,
} from "./resolver/resolv-conf.ts";
// resolver (stub: UDP, TCP on truncation, retries over servers)
export {
  type CnameStep,
  type Interpretation,
  interpretResponse,
  matchesQuery,
  type QueryResult,
  query,
  RESOLVER_DEFAULTS,
  type ResolveResult,
  Resolver,
  type ResolverOptions,
  resolve,
} from "./resolver/resolver.ts";
// zones and authoritative answers (issue 4)
export {
  type Answer,
  answerQuestion,
  lookupAddress,
  ZoneSet,
  zoneLookup,
} from "./server/answer.ts";
// authoritative server and `dns serve` (issue 4)
export {
  emptyStats,
  RESPONDER_DEFAULTS,
  Responder,
  type ResponderOptions,
  type ServerStats,
} from "./server/responder.ts";
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
export {
  DEFAULT_ZONE_TEXT,
  defaultZone,
  type LoadZoneOptions,
  parseZone,
} from "./zone/load.ts";
export { loadZoneFile } from "./zone/load-file.ts";
export { buildZone, Zone } from "./zone/zone.ts";
